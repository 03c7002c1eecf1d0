import { parseBatcherConfig } from '@apphub/microbatcher';
import { createHandler } from './create-handler.js';

export { createHandler };

/** Lambda entry; cold start parses the environment, so a bad descriptor fails here, in one line. */
export const handler = createHandler(parseBatcherConfig());
