/**
 * `@apphub/microbatcher/dataset`: what declares a dataset without the runtime — its descriptor,
 * the sample descriptor, the event-source settings, the S3 key layout and the rule for schema
 * changes with the schema history committed in the repo. It loads no AWS SDK,
 * Parquet encoder or Kafka client, so the CDK app imports this instead of `@apphub/microbatcher`.
 */
export * from './descriptor.js';
export * from './duration.js';
export * from './event-source-settings.js';
export * from './layout.js';
export * from './sample-descriptor.js';
export * from './schema-evolution.js';
