/**
 * `@apphub/platform/settings`: the platform without its runtime — the platform file, table names,
 * Flink and Kafka settings, endpoint and environment names, schemas and errors. It loads no AWS SDK,
 * so the CDK app and other declaration-only modules import this instead of `@apphub/platform`.
 */
export * from './endpoints.js';
export * from './env-names.js';
export * from './errors.js';
export * from './flink-config.js';
export * from './kafka-security.js';
export * from './platform.js';
export * from './schema.js';
export * from './tables.js';
