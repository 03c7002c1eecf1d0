import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DatasetWatermarkStore, DynamoDatasetWatermarkStore } from './dataset-watermark-store.js';
import { DynamoPartitionProgressStore, type PartitionProgressStore } from './partition-progress-store.js';
import { WatermarkTable } from './table.js';
import { DynamoWindowStore, type WindowStore } from './window-store.js';

/**
 * The micro-batcher's state of its datasets, three stores over one table: how far each partition
 * has been read, the dataset watermark and sealed range, and the windows' parts, leases and seals.
 */
export interface WatermarkStore {
  readonly partitions: PartitionProgressStore;
  readonly watermarks: DatasetWatermarkStore;
  readonly windows: WindowStore;
}

/**
 * The three stores on DynamoDB table `tableName` (streaming_watermarks: key `pk` string, `sk`
 * string). Every write is conditional so that no value moves backwards, whatever the interleaving
 * of concurrent invocations, and repeating a write equals doing it once.
 */
export function createWatermarkStore(client: DynamoDBDocumentClient, tableName: string): WatermarkStore {
  const table = new WatermarkTable(client, tableName);
  return {
    partitions: new DynamoPartitionProgressStore(table),
    watermarks: new DynamoDatasetWatermarkStore(table),
    windows: new DynamoWindowStore(table),
  };
}
