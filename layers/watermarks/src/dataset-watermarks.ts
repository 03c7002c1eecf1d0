import { z } from '@apphub/platform';
import { ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { WatermarkStoreError } from './errors.js';

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
 * The dataset-level item of the watermark table: partition `dataset#<slug>`, sort key `watermark`.
 * WatermarkStore writes it with this layout; a test writes through the store and reads it back here.
 */
const datasetPrefix = 'dataset#';
const watermarkSortKey = 'watermark';

const datasetWatermarkItem = z.object({
  pk: z.string().startsWith(datasetPrefix),
  sk: z.literal(watermarkSortKey),
  watermark: z.number().optional(),
  sealedThrough: z.number().optional(),
  updatedAt: z.number().optional(),
});

/**
 * Every dataset's watermark and sealed range from `tableName`, sorted by dataset: one scan of the
 * dataset-level items (partition progress and window items stay behind the filter). Throws
 * WatermarkTableMissingError when the table does not exist, WatermarkStoreError when an item does
 * not have the layout above.
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
      ExpressionAttributeValues: { ':sk': watermarkSortKey },
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
  const parsed = datasetWatermarkItem.safeParse(item);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new WatermarkStoreError(
      `item ${String(item.pk)}/${String(item.sk)} of ${tableName} is not a dataset watermark: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
      { cause: parsed.error },
    );
  }
  const { pk, watermark, sealedThrough, updatedAt } = parsed.data;
  return { dataset: pk.slice(datasetPrefix.length), watermark, sealedThrough, updatedAt };
}
