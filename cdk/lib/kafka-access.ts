import type { KafkaSecurity } from '@apphub/platform/settings';
import type { KafkaOptions } from './config.js';

/**
 * Container variables the Flink JobManager and TaskManagers get the SASL/SCRAM credentials in (ECS
 * fills them from the Secrets Manager secret); the Kafka client reads them through its environment
 * config provider, so the credentials never appear in the submitted SQL or in Flink's job config.
 */
export const FLINK_SASL_USERNAME_VARIABLE = 'KAFKA_SASL_USERNAME';
export const FLINK_SASL_PASSWORD_VARIABLE = 'KAFKA_SASL_PASSWORD';

/**
 * How the deployment's clients reach Kafka: the one description the Flink jobs' table options (through
 * the control plane's APPHUB_KAFKA_SECURITY), the Flink tasks' secrets and the micro-batcher's event
 * source are all derived from.
 *
 * - MSK mode: TLS on port 9094 (the cluster enables only TLS between clients and brokers; its
 *   certificates chain to Amazon's public CA, which the JVM trusts by default).
 * - Existing brokers: what the user configures; `SASL_SSL` is SASL/SCRAM-SHA-512 with the credentials of
 *   `kafkaSecretArn` (the secret Lambda's event source reads too), `PLAINTEXT` is unauthenticated inside
 *   the VPC. TLS without SASL is not offered (the config's union refuses it).
 */
export function kafkaSecurityOf(kafka: KafkaOptions): KafkaSecurity {
  if (kafka.mode === 'msk') return { protocol: 'SSL' };
  if (kafka.security.protocol === 'SASL_SSL') {
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

/** The secret with the SASL/SCRAM credentials of existing brokers, when they are reached with SASL_SSL. */
export function kafkaSecretArnOf(kafka: KafkaOptions): string | undefined {
  return kafka.mode === 'existing' && kafka.security.protocol === 'SASL_SSL'
    ? kafka.security.secretArn
    : undefined;
}
