export * from './endpoints.js';
export * from './env-names.js';
export * from './errors.js';
export * from './flink-config.js';
export * from './kafka-security.js';
export * from './platform.js';
export * from './schema.js';
export * from './tables.js';
