import { parseKafkaEnvironment } from '@apphub/kafka-client';
import { createHandler } from './create-handler.js';

export { createHandler };

/** Lambda entry; cold start parses the Kafka environment, so a bad variable fails here, in one line. */
export const handler = createHandler(parseKafkaEnvironment());
