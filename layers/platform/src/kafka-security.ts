import { jsonTextSchema, parseWith, z } from './schema.js';

/**
 * How clients reach Kafka: the one description every environment's Kafka settings are rendered
 * from (the Flink job's table options, the event source mapping, the project's Kafka client adapter).
 *
 * - `PLAINTEXT`: compose and minikube (Redpanda inside the cluster network), tools on the native stack.
 * - `SSL`: MSK's TLS listener (9094; the broker certificates chain to a public CA the JVM already
 *   trusts) and the native stack's TLS listener (a local CA, hence `truststorePemFile`).
 * - `SASL_SSL` + `SCRAM-SHA-512`: existing brokers with SASL/SCRAM; the credentials never enter the
 *   SQL text: Kafka's environment config provider reads them from the variables named here, which
 *   ECS fills from the Secrets Manager secret.
 */
export const kafkaSecuritySchema = z.discriminatedUnion('protocol', [
  z.strictObject({ protocol: z.literal('PLAINTEXT') }),
  z.strictObject({
    protocol: z.literal('SSL'),
    /** CA certificate(s) in PEM; absent: the runtime's default trust store. */
    truststorePemFile: z.string().min(1).optional(),
  }),
  z.strictObject({
    protocol: z.literal('SASL_SSL'),
    mechanism: z.literal('SCRAM-SHA-512'),
    truststorePemFile: z.string().min(1).optional(),
    usernameVariable: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
    passwordVariable: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
  }),
]);

export type KafkaSecurity = z.output<typeof kafkaSecuritySchema>;

/** A security description as an environment variable holds it: JSON text (APPHUB_KAFKA_SECURITY). */
export const kafkaSecurityJsonSchema = jsonTextSchema(kafkaSecuritySchema, '{"protocol":"SSL"}');

/** Kafka bootstrap servers as a variable holds them (APPHUB_KAFKA_BOOTSTRAP_SERVERS). */
export const bootstrapServersSchema = z
  .string()
  .regex(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, 'expected host:port[,host:port]');

/** Parses a security description (e.g. from a Lambda's environment); one line naming the bad field. */
export function parseKafkaSecurity(value: unknown, where: string): KafkaSecurity {
  return parseWith(kafkaSecuritySchema, value, where);
}

/**
 * The package flink-sql-connector-kafka relocates the Kafka client to (checked in 5.0.0-2.2: its
 * ScramLoginModule and EnvVarConfigProvider live under it). Class names in client properties must
 * use it, or the shaded client cannot load them (aws/aws-msk-iam-auth#129 shows the failure).
 */
export const FLINK_SHADED_KAFKA_PACKAGE = 'org.apache.flink.kafka.shaded.org.apache.kafka';

/**
 * Kafka Java client properties for `security` (keys as the client names them, without Flink's
 * `properties.` prefix). `classPackage` is where the client's own classes live: the shaded package for
 * Flink's SQL connector, `org.apache.kafka` for a plain client.
 */
export function kafkaClientProperties(
  security: KafkaSecurity,
  classPackage: string = FLINK_SHADED_KAFKA_PACKAGE,
): Record<string, string> {
  const properties: Record<string, string> = { 'security.protocol': security.protocol };
  if (security.protocol === 'PLAINTEXT') return properties;
  if (security.truststorePemFile !== undefined) {
    properties['ssl.truststore.type'] = 'PEM';
    properties['ssl.truststore.location'] = security.truststorePemFile;
  }
  if (security.protocol === 'SASL_SSL') {
    // ${env:NAME} is resolved by the client's config provider when it starts (KIP-887), in the task.
    properties['sasl.mechanism'] = security.mechanism;
    properties['sasl.jaas.config'] =
      `${classPackage}.common.security.scram.ScramLoginModule required ` +
      `username="\${env:${security.usernameVariable}}" password="\${env:${security.passwordVariable}}";`;
    properties['config.providers'] = 'env';
    properties['config.providers.env.class'] = `${classPackage}.common.config.provider.EnvVarConfigProvider`;
  }
  return properties;
}

/** The same properties as Flink Kafka table options (`properties.<key>`). */
export function flinkKafkaTableOptions(security: KafkaSecurity): Record<string, string> {
  return Object.fromEntries(
    Object.entries(kafkaClientProperties(security)).map(([key, value]) => [`properties.${key}`, value]),
  );
}
