/**
 * `@apphub/microbatcher/dataset`: what declares a dataset without the runtime — its descriptor,
 * the sample descriptor, the event-source settings, the S3 key layout and the rule for schema
 * changes with the schema history committed in the repo. It loads no AWS SDK,
 * Parquet encoder or Kafka client, so the CDK app imports this instead of `@apphub/microbatcher`.
 */
export {
  columnTypeSchema,
  type DatasetDescriptor,
  type DatasetDescriptorInput,
  type DatasetField,
  fieldSchema,
  parseBatcherDescriptors,
  parseDatasetDescriptor,
  parseDescriptorList,
  policyOf,
} from './descriptor.js';
export { durationSchema } from './duration.js';
export {
  CONSUMER_GROUP_ID_PATTERN,
  checkEventSourceSettings,
  consumerGroupIdFor,
  decideAfterFailure,
  EVENT_SOURCE_SETTING_NAMES,
  type EventSourceSettings,
  eventSourceDefaults,
  eventSourceDescriptions,
  eventSourceSettingsSchema,
  eventSourceSettingsShape,
  type FailedBatchDecision,
  INFINITE_RETRIES_WITH_DESTINATION,
  MINIMUM_OUTAGE_RIDE_OUT_SECONDS,
  ON_FAILURE_DESTINATIONS,
  type OnFailureDestination,
  OUTAGE_RESERVE_SECONDS,
  outageRideOutSeconds,
  parseEventSourceSettings,
  pickEventSourceSettings,
  retryLimit,
} from './event-source-settings.js';
export {
  compactedPartKey,
  datasetRoot,
  deadLetterKey,
  hashParts,
  hotPartKey,
  manifestKey,
  partitionPath,
  REPLAYED_PREFIX,
  SEALED_PART_TAG,
  schemaRecordKey,
  sealedFileKey,
  symlinkManifestKey,
  symlinkRoot,
  windowLabel,
} from './layout.js';
export { sampleBatcherDescriptor, sampleBatchersJson } from './sample-descriptor.js';
export {
  checkSchemaHistory,
  committedSchemaHistory,
  type DatasetSchema,
  datasetSchemaSchema,
  decideSchemaChange,
  SCHEMA_EVOLUTION_DOCS,
  SCHEMA_HISTORY_FILE,
  type SchemaChange,
  type SchemaVersion,
  schemaOf,
} from './schema-evolution.js';
