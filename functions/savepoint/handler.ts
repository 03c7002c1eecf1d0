import { parseControlPlaneConfig } from '@apphub/control-plane';
import { createHandler } from './create-handler.js';

export { createHandler };

/** Lambda entry; cold start parses the environment and creates the Flink and AWS clients once. */
export const handler = createHandler(parseControlPlaneConfig());
