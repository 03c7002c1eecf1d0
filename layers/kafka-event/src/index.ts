export { decodeKafkaEvent, isKafkaEvent, parseKafkaEvent } from './decode.js';
export { type EncodeKafkaEventOptions, encodeKafkaEvent, type RawKafkaRecord } from './encode.js';
export { KafkaEventError, KafkaEventInvalidError } from './errors.js';
export type {
  DecodedKafkaRecord,
  KafkaEvent,
  KafkaEventRecord,
  KafkaEventSource,
  KafkaHeader,
} from './types.js';
