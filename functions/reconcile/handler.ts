import { parseControlPlaneConfig, parseTaskManagerServiceConfig } from '@apphub/control-plane';
import { createHandler } from './create-handler.js';

export { createHandler };

const config = parseControlPlaneConfig();

/**
 * Lambda entry; cold start parses the environment and creates the Flink and AWS clients once. The
 * TaskManager service's variables are read only when the autoscaler is on, as only it resizes them.
 */
export const handler = createHandler(
  config,
  config.autoscale.enabled ? parseTaskManagerServiceConfig() : undefined,
);
