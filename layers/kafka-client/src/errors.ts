import { AppHubError } from '@apphub/platform';

/** Base error of the Kafka clients (connection settings, credentials, admin and producer calls). */
export class KafkaClientError extends AppHubError {}

/** Kafka refused or did not answer a client's request (after the retries its errors allow). */
export class KafkaRequestFailedError extends KafkaClientError {}

/** The SASL/SCRAM credentials could not be read from their secret, or are not `{username, password}`. */
export class KafkaCredentialsInvalidError extends KafkaClientError {}
