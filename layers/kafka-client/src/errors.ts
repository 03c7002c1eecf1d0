import { AppHubError } from '@apphub/platform';

/** Kafka refused or did not answer a client's request (after the retries its errors allow). */
export class KafkaRequestFailedError extends AppHubError {}

/** The SASL/SCRAM credentials could not be read from their secret, or are not `{username, password}`. */
export class KafkaCredentialsInvalidError extends AppHubError {}
