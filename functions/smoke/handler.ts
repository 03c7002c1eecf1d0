import { parseDeployedSmokeConfig } from '@apphub/smoke';
import { createHandler } from './create-handler.js';

export { createHandler };

/** Lambda entry; cold start parses the environment, so a bad variable fails here, in one line. */
export const handler = createHandler(parseDeployedSmokeConfig());
