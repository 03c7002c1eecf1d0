import { AppHubError } from '@apphub/platform';

/** The invocation's payload is not a Lambda Kafka event (MSK or self-managed). */
export class KafkaEventInvalidError extends AppHubError {}
