import type { KafkaSecurity } from '@apphub/platform/settings';
import type { AppOptions } from './config.js';

/**
 * Container variables the Flink JobManager and TaskManagers get the SASL/SCRAM credentials in (ECS
 * fills them from the Secrets Manager secret); the Kafka client reads them through its environment
 * config provider, so the credentials never appear in the submitted SQL or in Flink's job config.
 */
export const FLINK_SASL_USERNAME_VARIABLE = 'KAFKA_SASL_USERNAME';
export const FLINK_SASL_PASSWORD_VARIABLE = 'KAFKA_SASL_PASSWORD';

/** The protocols the existing-brokers mode offers; see kafkaSecurityOf for why SSL alone is not one. */
export const EXISTING_KAFKA_PROTOCOLS = ['PLAINTEXT', 'SASL_SSL'] as const;

/**
 * How the deployment's clients reach Kafka: the one description the Flink jobs' table options (through
 * the control plane's APPHUB_KAFKA_SECURITY), the Flink tasks' secrets and the micro-batcher's event
 * source are all derived from.
 *
 * - MSK mode: TLS on port 9094 (the cluster enables only TLS between clients and brokers; its
 *   certificates chain to Amazon's public CA, which the JVM trusts by default).
 * - Existing brokers: what the user configures; `SASL_SSL` is SASL/SCRAM-SHA-512 with the credentials of
 *   `kafkaSecretArn` (the secret Lambda's event source reads too), `PLAINTEXT` is unauthenticated inside
 *   the VPC.
 */
export function kafkaSecurityOf(
  options: Pick<AppOptions, 'kafkaMode' | 'kafkaSecurityProtocol'>,
): KafkaSecurity {
  if (options.kafkaMode === 'msk') return { protocol: 'SSL' };
  if (options.kafkaSecurityProtocol === 'SASL_SSL') {
    return {
      protocol: 'SASL_SSL',
      mechanism: 'SCRAM-SHA-512',
      usernameVariable: FLINK_SASL_USERNAME_VARIABLE,
      passwordVariable: FLINK_SASL_PASSWORD_VARIABLE,
    };
  }
  return { protocol: 'PLAINTEXT' };
}

/**
 * The variables a Lambda that opens its own Kafka connection reads (`parseKafkaEnvironment` of
 * @apphub/kafka-client): the brokers, the security description and, for SASL/SCRAM, the secret it
 * reads the credentials from at start (never the credentials themselves).
 */
export function kafkaClientEnvironment(
  kafka: { readonly bootstrapServers: string; readonly security: KafkaSecurity },
  secretArn: string | undefined,
): Record<string, string> {
  return {
    APPHUB_KAFKA_BOOTSTRAP_SERVERS: kafka.bootstrapServers,
    APPHUB_KAFKA_SECURITY: JSON.stringify(kafka.security),
    ...(kafka.security.protocol === 'SASL_SSL' && secretArn !== undefined
      ? { APPHUB_KAFKA_SECRET_ARN: secretArn }
      : {}),
  };
}
