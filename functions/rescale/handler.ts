import { parseControlPlaneConfig, parseTaskManagerServiceConfig } from '@apphub/control-plane';
import { createHandler } from './create-handler.js';

export { createHandler };

/** Lambda entry; cold start parses the environment and creates the Flink, AWS and ECS clients once. */
export const handler = createHandler({
  controlPlane: parseControlPlaneConfig(),
  taskManagers: parseTaskManagerServiceConfig(),
});
