import { AppHubError } from '@apphub/platform';

/** Base error of Kafka event decoding and encoding. */
export class KafkaEventError extends AppHubError {}

/** The invocation's payload is not a Lambda Kafka event (MSK or self-managed). */
export class KafkaEventInvalidError extends KafkaEventError {}
