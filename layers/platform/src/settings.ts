/**
 * `@apphub/platform/settings`: the platform without its runtime — the platform file, table names,
 * Flink and Kafka settings, endpoint and environment names, schemas and errors. It loads no AWS SDK,
 * so the CDK app and other declaration-only modules import this instead of `@apphub/platform`.
 */
export {
  awsClientSettings,
  findLocalEndpoint,
  LOCAL_AWS_CREDENTIALS,
  type LocalComponentEndpoint,
  type LocalEndpoints,
  localComponentEndpoints,
  parseLocalEndpoints,
} from './endpoints.js';
export { apphubVariableNames, parseEnvironment } from './env-names.js';
export { AppHubError, ConfigInvalidError, describeError, PlatformError, rootCause } from './errors.js';
export {
  CHECKPOINT_PREFIX,
  type FlinkEnvironment,
  FlinkSettingInvalidError,
  renderFlinkSettings,
  type S3CompatibleEndpoint,
  SAVEPOINT_PREFIX,
  s3EndpointSettings,
  s3SnapshotDirectories,
  toFlinkYaml,
} from './flink-config.js';
export {
  bootstrapServersSchema,
  FLINK_SHADED_KAFKA_PACKAGE,
  flinkKafkaTableOptions,
  type KafkaSecurity,
  kafkaClientProperties,
  kafkaSecurityJsonSchema,
  kafkaSecuritySchema,
  parseKafkaSecurity,
} from './kafka-security.js';
export { type Platform, platform } from './platform.js';
export { describeIssues, jsonTextSchema, parseWith, z } from './schema.js';
export { type TableKeySchema, tables } from './tables.js';
