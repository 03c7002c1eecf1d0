import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { PartitionProgress } from './compute.js';
import { WatermarkStoreError } from './errors.js';

/** The dataset-level item: watermark and the end of the contiguous sealed range. */
export interface DatasetWatermark {
  readonly watermark?: number;
  /** Every window of the dataset ending at or before this time (epoch ms) is sealed. */
  readonly sealedThrough?: number;
}

/** The state of one time window: the hot parts written to it and its latest sealed manifest. */
export interface WindowState {
  readonly windowStart: number;
  readonly parts: readonly string[];
  /** The published manifest version; 0 before the first seal. */
  readonly manifestVersion: number;
  readonly manifestKey?: string;
  readonly sealedPartsHash?: string;
  readonly sealedPartCount: number;
  /**
   * The newest version whose follow-up work after publishing is done (symlink manifests written,
   * the hot parts it covers tagged); 0 when none is.
   */
  readonly finishedVersion: number;
}

/** What leaseWindow got: the window to seal, or why there is none. */
export type WindowLease =
  | { readonly outcome: 'leased'; readonly window: WindowState }
  | { readonly outcome: 'held-by-other'; readonly window: WindowState }
  | { readonly outcome: 'nothing-to-seal' };

/** Whether a window has parts that its latest manifest does not cover. */
export function hasUnsealedParts(window: WindowState): boolean {
  return window.parts.length > window.sealedPartCount;
}

/** Whether a published version's follow-up work (symlink manifests, tags) is not done yet. */
export function hasUnfinishedSeal(window: WindowState): boolean {
  return window.finishedVersion < window.manifestVersion;
}

/**
 * Whether a sealer has work on a window: parts to seal, or a published version to finish. The one
 * predicate of "not done" for leases, pending windows and sealedThrough.
 */
export function needsSealing(window: WindowState): boolean {
  return hasUnsealedParts(window) || hasUnfinishedSeal(window);
}

/** needsSealing as a DynamoDB condition on a window item. */
const needsSealingCondition =
  'attribute_not_exists(sealedPartCount) OR size(parts) > sealedPartCount' +
  ' OR (attribute_exists(manifestVersion) AND (attribute_not_exists(finishedVersion) OR finishedVersion < manifestVersion))';

const datasetKey = (dataset: string) => `dataset#${dataset}`;
const partitionSort = (topic: string, partition: number) => `partition#${topic}#${partition}`;
const watermarkSort = 'watermark';
/** ISO-8601 UTC strings sort like the times they name, so window items come back in time order. */
const windowSort = (windowStart: number) => `window#${new Date(windowStart).toISOString()}`;

/**
 * DynamoDB store of table `streaming_watermarks` (key `pk` string, `sk` string), one item
 * collection per dataset: per-partition progress, the dataset watermark, and per-window parts and
 * manifests. Every write is conditional so that no value moves backwards, whatever the
 * interleaving of concurrent invocations, and repeating a write equals doing it once.
 */
export class WatermarkStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /**
   * Merges a batch's progress into its partition's: `nextOffset`, `maxEventTime` and `updatedAt` each
   * become the larger of stored and given, whatever order concurrent or retried writes land in.
   * Returns false, writing nothing, when offset and event time are already covered (a retry of a
   * batch already recorded).
   */
  async recordPartitionProgress(
    dataset: string,
    progress: Omit<PartitionProgress, 'maxEventTime'> & { readonly maxEventTime?: number },
  ): Promise<boolean> {
    const what = `record progress of ${progress.topic}-${progress.partition}`;
    // The common case in one request: offsets and event times both grow.
    let current: PartitionProgress | undefined;
    if (progress.maxEventTime === undefined) {
      current = await this.getPartition(dataset, progress.topic, progress.partition);
    } else {
      const first = await this.writePartition(
        dataset,
        progress,
        'attribute_not_exists(pk) OR (nextOffset <= :next AND (attribute_not_exists(maxEventTime) OR maxEventTime <= :time))',
        {},
        what,
      );
      if (first.applied) return true;
      current = first.item && toPartitionProgress(first.item);
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
      const outcome = await this.writePartition(dataset, merged, condition, seen, what);
      if (outcome.applied) return true;
      current = outcome.item && toPartitionProgress(outcome.item);
    }
    throw new WatermarkStoreError(
      `progress of ${dataset} ${progress.topic}-${progress.partition} kept changing under concurrent writers`,
    );
  }

  /** Writes a partition's progress under `condition`; a refusal carries the stored item. */
  private writePartition(
    dataset: string,
    progress: Omit<PartitionProgress, 'maxEventTime'> & { readonly maxEventTime?: number | undefined },
    condition: string,
    conditionValues: Record<string, number>,
    what: string,
  ) {
    const { maxEventTime } = progress;
    return this.conditionalUpdate(
      {
        Key: { pk: datasetKey(dataset), sk: partitionSort(progress.topic, progress.partition) },
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
      what,
    );
  }

  /** Progress of one partition, read consistently. */
  async getPartition(
    dataset: string,
    topic: string,
    partition: number,
  ): Promise<PartitionProgress | undefined> {
    const item = await this.getItem(dataset, partitionSort(topic, partition));
    return item ? toPartitionProgress(item) : undefined;
  }

  /** Progress of every partition of the dataset, read consistently. */
  async listPartitions(dataset: string): Promise<PartitionProgress[]> {
    const items = await this.query(dataset, 'sk BETWEEN :from AND :to', {
      ':from': 'partition#',
      ':to': 'partition#\uffff',
    });
    return items.map(toPartitionProgress);
  }

  /** The dataset watermark item, read consistently. */
  async getDatasetWatermark(dataset: string): Promise<DatasetWatermark> {
    return toDatasetWatermark(await this.getItem(dataset, watermarkSort));
  }

  /**
   * Raises the dataset watermark to `watermark` unless it is already higher; returns the stored item
   * (the watermark as stored, and `sealedThrough`).
   */
  async advanceWatermark(dataset: string, watermark: number, now: number): Promise<DatasetWatermark> {
    return this.advanceNumber(dataset, 'watermark', watermark, now);
  }

  /** Raises `sealedThrough` to `time` unless it is already higher; returns the stored value. */
  async advanceSealedThrough(dataset: string, time: number, now: number): Promise<number> {
    return Number((await this.advanceNumber(dataset, 'sealedThrough', time, now)).sealedThrough);
  }

  /**
   * Adds a hot part to a window (a set, so adding it again changes nothing). Returns the window as it
   * was before, so the caller can tell a new part for an already sealed window: late data.
   */
  async addWindowPart(
    dataset: string,
    windowStart: number,
    partKey: string,
  ): Promise<WindowState | undefined> {
    const result = await this.send(
      () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: datasetKey(dataset), sk: windowSort(windowStart) },
            UpdateExpression: 'SET windowStart = :start ADD parts :part',
            ExpressionAttributeValues: { ':start': windowStart, ':part': new Set([partKey]) },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      `add part to window ${new Date(windowStart).toISOString()} of ${dataset}`,
    );
    // A new item has no old attributes (moto answers with an empty map, DynamoDB with none).
    return result.Attributes?.windowStart === undefined ? undefined : toWindowState(result.Attributes);
  }

  /** One window, read consistently. */
  async getWindow(dataset: string, windowStart: number): Promise<WindowState | undefined> {
    const item = await this.getItem(dataset, windowSort(windowStart));
    return item ? toWindowState(item) : undefined;
  }

  /**
   * Windows starting in [fromStart, toStart], oldest first; with `unsealedOnly`, only those a sealer
   * has work on (needsSealing).
   */
  async listWindows(
    dataset: string,
    fromStart: number,
    toStart: number,
    options: { readonly unsealedOnly?: boolean } = {},
  ): Promise<WindowState[]> {
    if (toStart < fromStart) return [];
    const items = await this.query(
      dataset,
      'sk BETWEEN :from AND :to',
      { ':from': windowSort(fromStart), ':to': windowSort(toStart) },
      options.unsealedOnly ? needsSealingCondition : undefined,
    );
    return items.map(toWindowState);
  }

  /**
   * Takes the right to seal a window for `ttlMs` and returns the window as leased, unless there is
   * nothing to seal (no window, or its manifest covers every part and its seal is finished) or
   * another owner holds an unexpired lease. One request reads and leases; a refusal carries the item, so telling the two
   * refusals apart needs no second read. The lease is
   * only an optimisation (concurrent sealers of one window would do the same work; correctness comes
   * from commitWindowSeal's version check), so a crashed owner simply lets it expire. An owner named
   * after its batch gets its own lease back when the batch is retried.
   */
  async leaseWindow(
    dataset: string,
    windowStart: number,
    owner: string,
    now: number,
    ttlMs: number,
  ): Promise<WindowLease> {
    const outcome = await this.conditionalUpdate(
      {
        Key: { pk: datasetKey(dataset), sk: windowSort(windowStart) },
        UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
        ConditionExpression:
          `attribute_exists(pk) AND (${needsSealingCondition})` +
          ' AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner)',
        ExpressionAttributeValues: { ':owner': owner, ':until': now + ttlMs, ':now': now },
      },
      `lease window ${new Date(windowStart).toISOString()} of ${dataset}`,
    );
    if (outcome.applied) return { outcome: 'leased', window: toWindowState(outcome.item) };
    const window = outcome.item?.windowStart === undefined ? undefined : toWindowState(outcome.item);
    return window && needsSealing(window)
      ? { outcome: 'held-by-other', window }
      : { outcome: 'nothing-to-seal' };
  }

  /**
   * Publishes a window's manifest if nobody else published one since `expectedVersion` was read.
   * Returns false when another sealer won; the caller reads the window again. The lease stays: the
   * sealer still has the version's follow-up work to do (finishWindowSeal releases it).
   */
  async commitWindowSeal(
    dataset: string,
    windowStart: number,
    seal: {
      readonly expectedVersion: number;
      readonly manifestKey: string;
      readonly partsHash: string;
      readonly partCount: number;
    },
  ): Promise<boolean> {
    const outcome = await this.conditionalUpdate(
      {
        Key: { pk: datasetKey(dataset), sk: windowSort(windowStart) },
        UpdateExpression:
          'SET manifestVersion = :version, manifestKey = :manifest, sealedPartsHash = :hash, sealedPartCount = :count',
        ConditionExpression:
          seal.expectedVersion === 0
            ? 'attribute_exists(pk) AND attribute_not_exists(manifestVersion)'
            : 'manifestVersion = :expected',
        ExpressionAttributeValues: {
          ':version': seal.expectedVersion + 1,
          ':manifest': seal.manifestKey,
          ':hash': seal.partsHash,
          ':count': seal.partCount,
          ...(seal.expectedVersion === 0 ? {} : { ':expected': seal.expectedVersion }),
        },
      },
      `publish the manifest of window ${new Date(windowStart).toISOString()} of ${dataset}`,
    );
    return outcome.applied;
  }

  /**
   * Records that `version`'s follow-up work is done and releases `owner`'s lease. finishedVersion
   * only moves forward: a late finisher of an older version changes nothing but its own lease, and
   * another owner's lease (taken after `owner`'s expired) is left alone.
   */
  async finishWindowSeal(
    dataset: string,
    windowStart: number,
    version: number,
    owner: string,
  ): Promise<void> {
    const key = { pk: datasetKey(dataset), sk: windowSort(windowStart) };
    const what = `finish the seal of window ${new Date(windowStart).toISOString()} of ${dataset}`;
    const notAhead = '(attribute_not_exists(finishedVersion) OR finishedVersion <= :version)';
    const outcome = await this.conditionalUpdate(
      {
        Key: key,
        UpdateExpression: 'SET finishedVersion = :version REMOVE leaseOwner, leaseUntil',
        ConditionExpression: `${notAhead} AND (attribute_not_exists(leaseOwner) OR leaseOwner = :owner)`,
        ExpressionAttributeValues: { ':version': version, ':owner': owner },
      },
      what,
    );
    if (outcome.applied || outcome.item === undefined) return;
    // Refused: a newer version is already finished, or another owner leases the window now.
    const stored = toWindowState(outcome.item);
    if (stored.finishedVersion < version) {
      await this.conditionalUpdate(
        {
          Key: key,
          UpdateExpression: 'SET finishedVersion = :version',
          ConditionExpression: notAhead,
          ExpressionAttributeValues: { ':version': version },
        },
        what,
      );
    } else if (outcome.item.leaseOwner === owner) {
      await this.conditionalUpdate(
        {
          Key: key,
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        },
        what,
      );
    }
  }

  private async advanceNumber(
    dataset: string,
    attribute: 'watermark' | 'sealedThrough',
    value: number,
    now: number,
  ): Promise<DatasetWatermark> {
    const outcome = await this.conditionalUpdate(
      {
        Key: { pk: datasetKey(dataset), sk: watermarkSort },
        UpdateExpression: 'SET #attribute = :value, updatedAt = :now',
        ConditionExpression: 'attribute_not_exists(#attribute) OR #attribute <= :value',
        ExpressionAttributeNames: { '#attribute': attribute },
        ExpressionAttributeValues: { ':value': value, ':now': now },
      },
      `advance ${attribute} of ${dataset}`,
    );
    // Refused: already ahead, and the refusal carries the stored item.
    return outcome.applied || outcome.item
      ? toDatasetWatermark(outcome.item)
      : this.getDatasetWatermark(dataset);
  }

  private async getItem(dataset: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const result = await this.send(
      () =>
        this.client.send(
          new GetCommand({
            TableName: this.tableName,
            Key: { pk: datasetKey(dataset), sk },
            ConsistentRead: true,
          }),
        ),
      `read ${sk} of ${dataset}`,
    );
    return result.Item;
  }

  private async query(
    dataset: string,
    sortCondition: string,
    values: Record<string, unknown>,
    filter?: string,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.send(
        () =>
          this.client.send(
            new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: `pk = :pk AND ${sortCondition}`,
              ...(filter ? { FilterExpression: filter } : {}),
              ExpressionAttributeValues: { ':pk': datasetKey(dataset), ...values },
              ConsistentRead: true,
              ...(startKey ? { ExclusiveStartKey: startKey } : {}),
            }),
          ),
        `query ${dataset}`,
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  /**
   * An update under a condition: the new item when it applied, or the item as stored when the
   * condition refused it (DynamoDB returns it with the refusal, so no second read is needed).
   * Any other failure throws, naming `what`.
   */
  private async conditionalUpdate(
    input: Omit<UpdateCommandInput, 'TableName' | 'ReturnValues' | 'ReturnValuesOnConditionCheckFailure'>,
    what: string,
  ): Promise<
    | { readonly applied: true; readonly item: Record<string, unknown> }
    | { readonly applied: false; readonly item: Record<string, unknown> | undefined }
  > {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          ...input,
          TableName: this.tableName,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { applied: true, item: result.Attributes ?? {} };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { applied: false, item: error.Item ? unmarshall(error.Item) : undefined };
      }
      throw new WatermarkStoreError(`cannot ${what}`, { cause: error });
    }
  }

  private async send<Output>(call: () => Promise<Output>, what: string): Promise<Output> {
    try {
      return await call();
    } catch (error) {
      throw new WatermarkStoreError(`cannot ${what} in ${this.tableName}`, { cause: error });
    }
  }
}

function toDatasetWatermark(item: Record<string, unknown> | undefined): DatasetWatermark {
  return {
    ...(typeof item?.watermark === 'number' ? { watermark: item.watermark } : {}),
    ...(typeof item?.sealedThrough === 'number' ? { sealedThrough: item.sealedThrough } : {}),
  };
}

/** Stored and given progress merged: every field the larger of the two. */
function mergeProgress(
  current: PartitionProgress | undefined,
  given: Omit<PartitionProgress, 'maxEventTime'> & { readonly maxEventTime?: number },
): Omit<PartitionProgress, 'maxEventTime'> & { readonly maxEventTime?: number } {
  const times = [current?.maxEventTime, given.maxEventTime].filter((time) => time !== undefined);
  return {
    topic: given.topic,
    partition: given.partition,
    nextOffset: Math.max(current?.nextOffset ?? given.nextOffset, given.nextOffset),
    updatedAt: Math.max(current?.updatedAt ?? given.updatedAt, given.updatedAt),
    ...(times.length > 0 ? { maxEventTime: Math.max(...times) } : {}),
  };
}

function toPartitionProgress(item: Record<string, unknown>): PartitionProgress {
  return {
    topic: String(item.topic),
    partition: Number(item.partition),
    nextOffset: Number(item.nextOffset),
    ...(item.maxEventTime === undefined ? {} : { maxEventTime: Number(item.maxEventTime) }),
    updatedAt: Number(item.updatedAt),
  };
}

function toWindowState(item: Record<string, unknown>): WindowState {
  const parts = item.parts instanceof Set ? [...(item.parts as Set<string>)].sort() : [];
  return {
    windowStart: Number(item.windowStart),
    parts,
    manifestVersion: Number(item.manifestVersion ?? 0),
    ...(typeof item.manifestKey === 'string' ? { manifestKey: item.manifestKey } : {}),
    ...(typeof item.sealedPartsHash === 'string' ? { sealedPartsHash: item.sealedPartsHash } : {}),
    sealedPartCount: Number(item.sealedPartCount ?? 0),
    finishedVersion: Number(item.finishedVersion ?? 0),
  };
}
