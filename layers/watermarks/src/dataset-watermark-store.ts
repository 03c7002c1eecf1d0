import { z } from '@apphub/platform';
import { watermarkTableKeys as keys, parseItem, type WatermarkTable } from './table.js';

/** The dataset-level item: watermark and the end of the contiguous sealed range. */
export interface DatasetWatermark {
  readonly watermark?: number | undefined;
  /** Every window of the dataset ending at or before this time (epoch ms) is sealed. */
  readonly sealedThrough?: number | undefined;
}

/** A dataset's watermark and sealed range; both only move forward. */
export interface DatasetWatermarkStore {
  /** The dataset watermark item, read consistently. */
  get(dataset: string): Promise<DatasetWatermark>;
  /**
   * Raises the dataset watermark to `watermark` unless it is already higher; returns the stored item
   * (the watermark as stored, and `sealedThrough`).
   */
  advanceWatermark(dataset: string, watermark: number, now: number): Promise<DatasetWatermark>;
  /** Raises `sealedThrough` to `time` unless it is already higher; returns the stored value. */
  advanceSealedThrough(dataset: string, time: number, now: number): Promise<number>;
}

/** The dataset-level item of the watermark table (partition `dataset#<slug>`, sort key `watermark`). */
export const datasetWatermarkItem = z.object({
  pk: z.string().startsWith(keys.datasetPrefix),
  sk: z.literal(keys.watermark),
  watermark: z.number().optional(),
  sealedThrough: z.number().optional(),
  updatedAt: z.number().optional(),
});

/** DatasetWatermarkStore on the watermark table: one item per dataset, sort key `watermark`. */
export class DynamoDatasetWatermarkStore implements DatasetWatermarkStore {
  constructor(private readonly table: WatermarkTable) {}

  async get(dataset: string): Promise<DatasetWatermark> {
    return this.parse(await this.table.get(this.key(dataset), `read the watermark of ${dataset}`));
  }

  advanceWatermark(dataset: string, watermark: number, now: number): Promise<DatasetWatermark> {
    return this.advance(dataset, 'watermark', watermark, now);
  }

  async advanceSealedThrough(dataset: string, time: number, now: number): Promise<number> {
    return Number((await this.advance(dataset, 'sealedThrough', time, now)).sealedThrough);
  }

  private async advance(
    dataset: string,
    attribute: 'watermark' | 'sealedThrough',
    value: number,
    now: number,
  ): Promise<DatasetWatermark> {
    const outcome = await this.table.conditionalUpdate(
      this.key(dataset),
      {
        UpdateExpression: 'SET #attribute = :value, updatedAt = :now',
        ConditionExpression: 'attribute_not_exists(#attribute) OR #attribute <= :value',
        ExpressionAttributeNames: { '#attribute': attribute },
        ExpressionAttributeValues: { ':value': value, ':now': now },
      },
      `advance ${attribute} of ${dataset}`,
    );
    // Refused: already ahead, and the refusal carries the stored item.
    return outcome.item ? this.parse(outcome.item) : this.get(dataset);
  }

  private key(dataset: string) {
    return { pk: keys.dataset(dataset), sk: keys.watermark };
  }

  private parse(item: Record<string, unknown> | undefined): DatasetWatermark {
    return parseDatasetWatermark(item, this.table.tableName);
  }
}

/** The dataset-level item of table `tableName` as a DatasetWatermark; an absent item has neither value. */
export function parseDatasetWatermark(
  item: Record<string, unknown> | undefined,
  tableName: string,
): DatasetWatermark {
  if (item === undefined) return {};
  const { watermark, sealedThrough } = parseItem(
    datasetWatermarkItem,
    item,
    'a dataset watermark',
    tableName,
  );
  return { watermark, sealedThrough };
}
