import { z } from '@apphub/platform';
import type { PartitionProgress } from './compute.js';
import { type DatasetWatermark, parseDatasetWatermark } from './dataset-watermark-store.js';
import { WatermarkStoreError } from './errors.js';
import { watermarkTableKeys as keys, parseItem, type WatermarkTable } from './table.js';

/** Progress a batch reports for one partition; `maxEventTime` is absent when no record carried one. */
export type PartitionProgressUpdate = Omit<PartitionProgress, 'maxEventTime'> & {
  readonly maxEventTime?: number | undefined;
};

/** Per-partition progress of a dataset: how far each Kafka partition has been read. */
export interface PartitionProgressStore {
  /**
   * Merges a batch's progress into its partition's: `nextOffset`, `maxEventTime` and `updatedAt` each
   * become the larger of stored and given, whatever order concurrent or retried writes land in.
   * Returns false, writing nothing, when offset and event time are already covered (a retry of a
   * batch already recorded).
   */
  record(dataset: string, progress: PartitionProgressUpdate): Promise<boolean>;
  /** Progress of one partition, read consistently. */
  get(dataset: string, topic: string, partition: number): Promise<PartitionProgress | undefined>;
  /** Progress of every partition of the dataset, read consistently. */
  list(dataset: string): Promise<PartitionProgress[]>;
  /**
   * Progress of every partition and the dataset's watermark item, in one consistent read (their sort
   * keys are adjacent): what a sealing pass reads before it raises the watermark.
   */
  listWithWatermark(dataset: string): Promise<PartitionsAndWatermark>;
}

/** Every partition's progress and the dataset watermark item, as one read saw them. */
export interface PartitionsAndWatermark {
  readonly partitions: PartitionProgress[];
  readonly watermark: DatasetWatermark;
}

/** Stored and given progress merged: every field the larger of the two. */
export function mergeProgress(
  current: PartitionProgress | undefined,
  given: PartitionProgressUpdate,
): PartitionProgressUpdate {
  const times = [current?.maxEventTime, given.maxEventTime].filter((time) => time !== undefined);
  return {
    topic: given.topic,
    partition: given.partition,
    nextOffset: Math.max(current?.nextOffset ?? given.nextOffset, given.nextOffset),
    updatedAt: Math.max(current?.updatedAt ?? given.updatedAt, given.updatedAt),
    ...(times.length > 0 ? { maxEventTime: Math.max(...times) } : {}),
  };
}

const partitionItem = z.object({
  topic: z.string(),
  partition: z.number(),
  nextOffset: z.number(),
  maxEventTime: z.number().optional(),
  updatedAt: z.number(),
});

/** PartitionProgressStore on the watermark table: sort key `partition#<topic>#<partition>`. */
export class DynamoPartitionProgressStore implements PartitionProgressStore {
  constructor(private readonly table: WatermarkTable) {}

  async record(dataset: string, progress: PartitionProgressUpdate): Promise<boolean> {
    // The common case in one request: offsets and event times both grow.
    let current: PartitionProgress | undefined;
    if (progress.maxEventTime === undefined) {
      current = await this.get(dataset, progress.topic, progress.partition);
    } else {
      const first = await this.write(
        dataset,
        progress,
        'attribute_not_exists(pk) OR (nextOffset <= :next AND (attribute_not_exists(maxEventTime) OR maxEventTime <= :time))',
        {},
      );
      if (first.applied) return true;
      current = first.item && this.parse(first.item);
    }
    for (let attempt = 0; attempt < 10; attempt++) {
      const merged = mergeProgress(current, progress);
      if (
        current &&
        merged.nextOffset === current.nextOffset &&
        merged.maxEventTime === current.maxEventTime
      ) {
        return false;
      }
      // The condition pins the values read, so a concurrent writer makes this attempt retry.
      const condition = current
        ? `nextOffset = :seenOffset AND ${current.maxEventTime === undefined ? 'attribute_not_exists(maxEventTime)' : 'maxEventTime = :seenTime'}`
        : 'attribute_not_exists(pk)';
      const seen = {
        ...(current ? { ':seenOffset': current.nextOffset } : {}),
        ...(current?.maxEventTime === undefined ? {} : { ':seenTime': current.maxEventTime }),
      };
      const outcome = await this.write(dataset, merged, condition, seen);
      if (outcome.applied) return true;
      current = outcome.item && this.parse(outcome.item);
    }
    throw new WatermarkStoreError(
      `progress of ${dataset} ${progress.topic}-${progress.partition} kept changing under concurrent writers`,
    );
  }

  async get(dataset: string, topic: string, partition: number): Promise<PartitionProgress | undefined> {
    const item = await this.table.get(
      { pk: keys.dataset(dataset), sk: keys.partition(topic, partition) },
      `read the progress of ${topic}-${partition} of ${dataset}`,
    );
    return item ? this.parse(item) : undefined;
  }

  async list(dataset: string): Promise<PartitionProgress[]> {
    const items = await this.table.queryRange(dataset, {
      from: keys.partitionPrefix,
      to: `${keys.partitionPrefix}\uffff`,
    });
    return items.map((item) => this.parse(item));
  }

  async listWithWatermark(dataset: string): Promise<PartitionsAndWatermark> {
    // No sort key falls between the partitions' `partition#…` and `watermark`.
    const items = await this.table.queryRange(dataset, { from: keys.partitionPrefix, to: keys.watermark });
    const partitions: PartitionProgress[] = [];
    let watermark: DatasetWatermark = {};
    for (const item of items) {
      if (item.sk === keys.watermark) watermark = parseDatasetWatermark(item, this.table.tableName);
      else partitions.push(this.parse(item));
    }
    return { partitions, watermark };
  }

  /** Writes a partition's progress under `condition`; a refusal carries the stored item. */
  private write(
    dataset: string,
    progress: PartitionProgressUpdate,
    condition: string,
    conditionValues: Record<string, number>,
  ) {
    const { maxEventTime } = progress;
    return this.table.conditionalUpdate(
      { pk: keys.dataset(dataset), sk: keys.partition(progress.topic, progress.partition) },
      {
        UpdateExpression: `SET topic = :topic, #partition = :partition, nextOffset = :next, updatedAt = :now${
          maxEventTime === undefined ? '' : ', maxEventTime = :time'
        }`,
        ConditionExpression: condition,
        ExpressionAttributeNames: { '#partition': 'partition' },
        ExpressionAttributeValues: {
          ':topic': progress.topic,
          ':partition': progress.partition,
          ':next': progress.nextOffset,
          ':now': progress.updatedAt,
          ...(maxEventTime === undefined ? {} : { ':time': maxEventTime }),
          ...conditionValues,
        },
      },
      `record progress of ${progress.topic}-${progress.partition} of ${dataset}`,
    );
  }

  private parse(item: Record<string, unknown>): PartitionProgress {
    return parseItem(partitionItem, item, 'partition progress', this.table.tableName);
  }
}
