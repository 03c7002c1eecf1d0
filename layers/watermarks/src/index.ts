export {
  computeDatasetWatermark,
  isWindowClosed,
  type PartitionProgress,
  sealableThrough,
  type WatermarkPolicy,
  windowStartOf,
} from './compute.js';
export {
  type DatasetWatermark,
  type DatasetWatermarkStore,
  DynamoDatasetWatermarkStore,
  datasetWatermarkItem,
  parseDatasetWatermark,
} from './dataset-watermark-store.js';
export {
  type DatasetWatermarkEntry,
  listDatasetWatermarks,
  WatermarkTableMissingError,
} from './dataset-watermarks.js';
export { WatermarkStoreError, WatermarksError } from './errors.js';
export {
  DynamoPartitionProgressStore,
  mergeProgress,
  type PartitionProgressStore,
  type PartitionProgressUpdate,
  type PartitionsAndWatermark,
} from './partition-progress-store.js';
export { createWatermarkStore, type WatermarkStore } from './store.js';
export {
  type ConditionalUpdateOutcome,
  type ItemUpdate,
  parseItem,
  WatermarkTable,
  type WatermarkTableKey,
  watermarkTableKeys,
} from './table.js';
export { hasUnfinishedSeal, hasUnsealedParts, needsSealing, type WindowState } from './window-state.js';
export { DynamoWindowStore, type WindowLease, type WindowSeal, type WindowStore } from './window-store.js';
