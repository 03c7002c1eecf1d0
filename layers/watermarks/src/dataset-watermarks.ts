import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { datasetWatermarkItem } from './dataset-watermark-store.js';
import { WatermarkStoreError } from './errors.js';
import { watermarkTableKeys as keys, parseItem } from './table.js';

/** The watermark table does not exist (the stack or the deployment has not created it). */
export class WatermarkTableMissingError extends WatermarkStoreError {}

/** One dataset's watermark item, as every dataset's are listed for an overview. */
export interface DatasetWatermarkEntry {
  readonly dataset: string;
  /** Epoch milliseconds; undefined before the first batch with event times. */
  readonly watermark: number | undefined;
  /** Every window ending at or before this time (epoch ms) is sealed; undefined before the first seal. */
  readonly sealedThrough: number | undefined;
  /** Epoch milliseconds of the last change. */
  readonly updatedAt: number | undefined;
}

/**
 * Every dataset's watermark and sealed range from `tableName`, sorted by dataset: one scan of the
 * dataset-level items, in the layout the store writes (watermarkTableKeys, datasetWatermarkItem);
 * partition progress and window items stay behind the filter. Throws WatermarkTableMissingError
 * when the table does not exist, WatermarkStoreError when an item does not have that layout.
 */
export async function listDatasetWatermarks(
  client: DynamoDBDocumentClient,
  tableName: string,
  options: { readonly pageSize?: number } = {},
): Promise<DatasetWatermarkEntry[]> {
  const pages = paginateScan(
    { client, ...(options.pageSize ? { pageSize: options.pageSize } : {}) },
    {
      TableName: tableName,
      FilterExpression: 'sk = :sk',
      ExpressionAttributeValues: { ':sk': keys.watermark },
    },
  );
  const entries: DatasetWatermarkEntry[] = [];
  try {
    for await (const page of pages) {
      for (const item of page.Items ?? []) entries.push(toEntry(item, tableName));
    }
  } catch (error) {
    if (error instanceof WatermarkStoreError) throw error;
    if (error instanceof ResourceNotFoundException) {
      throw new WatermarkTableMissingError(`table ${tableName} not present`, { cause: error });
    }
    throw new WatermarkStoreError(`cannot list the dataset watermarks in ${tableName}`, { cause: error });
  }
  return entries.sort((a, b) => a.dataset.localeCompare(b.dataset));
}

function toEntry(item: Record<string, unknown>, tableName: string): DatasetWatermarkEntry {
  const { pk, watermark, sealedThrough, updatedAt } = parseItem(
    datasetWatermarkItem,
    item,
    'a dataset watermark',
    tableName,
  );
  return { dataset: pk.slice(keys.datasetPrefix.length), watermark, sealedThrough, updatedAt };
}
