export {
  type DatasetBatchSummary,
  type DeadLetter,
  deadLetterSchema,
  ensureDatasetSchema,
  metricsOf,
  processKafkaEvent,
} from './batch.js';
export type { BatcherContext } from './batcher-context.js';
export { type BatcherConfig, createBatcherStorage, parseBatcherConfig } from './config.js';
export {
  CONSUMER_GROUP_ID_PATTERN,
  checkEventSourceSettings,
  checkSchemaHistory,
  columnTypeSchema,
  committedSchemaHistory,
  compactedPartKey,
  consumerGroupIdFor,
  type DatasetDescriptor,
  type DatasetDescriptorInput,
  type DatasetField,
  type DatasetSchema,
  datasetRoot,
  datasetSchemaSchema,
  deadLetterKey,
  decideAfterFailure,
  decideSchemaChange,
  durationSchema,
  EVENT_SOURCE_SETTING_NAMES,
  type EventSourceSettings,
  eventSourceDefaults,
  eventSourceDescriptions,
  eventSourceSettingsSchema,
  eventSourceSettingsShape,
  type FailedBatchDecision,
  fieldSchema,
  hashParts,
  hotPartKey,
  INFINITE_RETRIES_WITH_DESTINATION,
  MINIMUM_OUTAGE_RIDE_OUT_SECONDS,
  manifestKey,
  ON_FAILURE_DESTINATIONS,
  type OnFailureDestination,
  OUTAGE_RESERVE_SECONDS,
  outageRideOutSeconds,
  parseBatcherDescriptors,
  parseDatasetDescriptor,
  parseDescriptorList,
  parseEventSourceSettings,
  partitionPath,
  pickEventSourceSettings,
  policyOf,
  REPLAYED_PREFIX,
  retryLimit,
  SCHEMA_EVOLUTION_DOCS,
  SCHEMA_HISTORY_FILE,
  type SchemaChange,
  type SchemaVersion,
  SEALED_PART_TAG,
  sampleBatcherDescriptor,
  sampleBatchersJson,
  schemaOf,
  schemaRecordKey,
  sealedFileKey,
  symlinkManifestKey,
  symlinkRoot,
  windowLabel,
} from './dataset.js';
export {
  LakeObjectError,
  MicroBatcherError,
  QueryInvalidError,
  SchemaChangeRefusedError,
  WindowSealError,
} from './errors.js';
export {
  type BatchFailure,
  encodeFailedBatch,
  type FailedBatch,
  type FailedBatchCondition,
  FailedBatchInvalidError,
  type FailedBatchRecord,
  type FailedPartitionInfo,
  failedBatchKey,
  parseFailedBatch,
} from './failed-batch.js';
export { BatcherEventUnsupportedError, handleBatcherEvent, isScheduledEvent } from './invoke.js';
export { type Lake, mapWithLimit, type PutCondition, parseLakeJson, S3Lake } from './lake.js';
export { FORMAT_VERSION, versionedObject, type WindowManifest, windowManifestSchema } from './manifest.js';
export { BatcherMetrics, unroutedDataset } from './metrics.js';
export { isStorageOutage, type OutageRetryOptions, rideOutStorageOutage } from './outage.js';
export { cachedEncoding, PartCache } from './part-cache.js';
export {
  compactRows,
  compareUpsertKeys,
  decodeHotPart,
  encodeHotPart,
  encodeSealedFile,
  groupIntoParts,
  type HotPart,
  type LatestRecords,
  latestRecords,
  liveValues,
  type StoredRow,
  upsertKeyOf,
} from './parts.js';
export { type HybridResult, type HybridRow, isWindowSealed, queryDataset } from './query.js';
export { convertValue, type DatasetRow, decodeDatasetRecord, type RecordOutcome } from './records.js';
export {
  limitLakeRequests,
  mapRequests,
  RequestLimit,
  RequestLimitedLake,
  S3_REQUESTS_IN_FLIGHT,
  withRequestLimit,
} from './request-limit.js';
export {
  RecordedSchemas,
  recordDatasetSchema,
  type SchemaRecord,
  type SchemaRecordOutcome,
  schemaRecordSchema,
} from './schema-record.js';
export { type SealClock, type SealOptions, type SealOutcome, sealLeaseMs, sealWindow } from './sealing.js';
export { type SealingPassSummary, sealDueWindows } from './sealing-pass.js';
export {
  decideSymlinkWrite,
  type StoredSymlink,
  SYMLINK_VERSION_METADATA,
  type SymlinkWrite,
  symlinkManifests,
  writeSymlinkManifests,
} from './symlinks.js';
export { readWindowRecords, type WindowRecords } from './window-records.js';
