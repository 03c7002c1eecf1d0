import { z } from '@apphub/platform';
import { watermarkTableKeys as keys, parseItem, type WatermarkTable } from './table.js';
import { needsSealing, type WindowState } from './window-state.js';

/** What a lease request got: the window to seal, or why there is none. */
export type WindowLease =
  | { readonly outcome: 'leased'; readonly window: WindowState }
  | { readonly outcome: 'held-by-other'; readonly window: WindowState }
  | { readonly outcome: 'nothing-to-seal' };

/** A manifest to publish for a window, and the version it replaces. */
export interface WindowSeal {
  readonly expectedVersion: number;
  readonly manifestKey: string;
  readonly partsHash: string;
  readonly partCount: number;
}

/**
 * Per-window parts, leases and seal state of a dataset. Every write is idempotent and no value moves
 * backwards, whatever the interleaving of concurrent sealers and batches.
 */
export interface WindowStore {
  /**
   * Adds a hot part to a window (a set, so adding it again changes nothing). Returns the window as it
   * was before, so the caller can tell a new part for an already sealed window: late data.
   */
  addPart(dataset: string, windowStart: number, partKey: string): Promise<WindowState | undefined>;
  /** One window, read consistently. */
  get(dataset: string, windowStart: number): Promise<WindowState | undefined>;
  /**
   * Windows starting in [fromStart, toStart], oldest first; with `unsealedOnly`, only those a sealer
   * has work on (needsSealing).
   */
  list(
    dataset: string,
    fromStart: number,
    toStart: number,
    options?: { readonly unsealedOnly?: boolean },
  ): Promise<WindowState[]>;
  /**
   * Takes the right to seal a window until `now + ttlMs` and returns the window as leased, unless
   * there is nothing to seal (no window, or its manifest covers every part and its seal is finished)
   * or another owner holds an unexpired lease. The lease is only an optimisation (concurrent sealers
   * of one window would do the same work; correctness comes from commitSeal's version check), so a
   * crashed owner simply lets it expire. An owner gets its own unexpired lease back.
   */
  lease(
    dataset: string,
    windowStart: number,
    owner: string,
    now: number,
    ttlMs: number,
  ): Promise<WindowLease>;
  /**
   * Publishes a window's manifest if nobody else published one since `expectedVersion` was read.
   * Returns false when another sealer won; the caller reads the window again. The lease stays: the
   * sealer still has the version's follow-up work to do (finishSeal releases it).
   */
  commitSeal(dataset: string, windowStart: number, seal: WindowSeal): Promise<boolean>;
  /**
   * Records that `version`'s follow-up work is done and releases `owner`'s lease. finishedVersion
   * only moves forward: a late finisher of an older version changes nothing but its own lease, and
   * another owner's lease (taken after `owner`'s expired) is left alone.
   */
  finishSeal(dataset: string, windowStart: number, version: number, owner: string): Promise<void>;
}

/** needsSealing as a DynamoDB condition on a window item. */
const needsSealingCondition =
  'attribute_not_exists(sealedPartCount) OR size(parts) > sealedPartCount' +
  ' OR (attribute_exists(manifestVersion) AND (attribute_not_exists(finishedVersion) OR finishedVersion < manifestVersion))';

/** A window item as stored (lib-dynamodb reads a string set as a Set). */
const windowItem = z.object({
  windowStart: z.number(),
  parts: z.set(z.string()).optional(),
  manifestVersion: z.number().optional(),
  manifestKey: z.string().optional(),
  sealedPartsHash: z.string().optional(),
  sealedPartCount: z.number().optional(),
  finishedVersion: z.number().optional(),
  leaseOwner: z.string().optional(),
  leaseUntil: z.number().optional(),
});

/** WindowStore on the watermark table: one item per window, sort key `window#<ISO start>`. */
export class DynamoWindowStore implements WindowStore {
  constructor(private readonly table: WatermarkTable) {}

  async addPart(dataset: string, windowStart: number, partKey: string): Promise<WindowState | undefined> {
    const old = await this.table.updateReturningOld(
      this.key(dataset, windowStart),
      {
        UpdateExpression: 'SET windowStart = :start ADD parts :part',
        ExpressionAttributeValues: { ':start': windowStart, ':part': new Set([partKey]) },
      },
      `add part to ${this.what(dataset, windowStart)}`,
    );
    return old?.windowStart === undefined ? undefined : this.parse(old);
  }

  async get(dataset: string, windowStart: number): Promise<WindowState | undefined> {
    const item = await this.table.get(
      this.key(dataset, windowStart),
      `read ${this.what(dataset, windowStart)}`,
    );
    return item ? this.parse(item) : undefined;
  }

  async list(
    dataset: string,
    fromStart: number,
    toStart: number,
    options: { readonly unsealedOnly?: boolean } = {},
  ): Promise<WindowState[]> {
    if (toStart < fromStart) return [];
    const items = await this.table.queryRange(
      dataset,
      { from: keys.window(fromStart), to: keys.window(toStart) },
      options.unsealedOnly ? needsSealingCondition : undefined,
    );
    return items.map((item) => this.parse(item));
  }

  async lease(
    dataset: string,
    windowStart: number,
    owner: string,
    now: number,
    ttlMs: number,
  ): Promise<WindowLease> {
    // One request reads and leases; a refusal carries the item, so telling the two refusals apart
    // needs no second read.
    const outcome = await this.table.conditionalUpdate(
      this.key(dataset, windowStart),
      {
        UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
        ConditionExpression:
          `attribute_exists(pk) AND (${needsSealingCondition})` +
          ' AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner)',
        ExpressionAttributeValues: { ':owner': owner, ':until': now + ttlMs, ':now': now },
      },
      `lease ${this.what(dataset, windowStart)}`,
    );
    if (outcome.applied) return { outcome: 'leased', window: this.parse(outcome.item) };
    const window = outcome.item?.windowStart === undefined ? undefined : this.parse(outcome.item);
    return window && needsSealing(window)
      ? { outcome: 'held-by-other', window }
      : { outcome: 'nothing-to-seal' };
  }

  async commitSeal(dataset: string, windowStart: number, seal: WindowSeal): Promise<boolean> {
    const outcome = await this.table.conditionalUpdate(
      this.key(dataset, windowStart),
      {
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
      `publish the manifest of ${this.what(dataset, windowStart)}`,
    );
    return outcome.applied;
  }

  async finishSeal(dataset: string, windowStart: number, version: number, owner: string): Promise<void> {
    const key = this.key(dataset, windowStart);
    const what = `finish the seal of ${this.what(dataset, windowStart)}`;
    const notAhead = '(attribute_not_exists(finishedVersion) OR finishedVersion <= :version)';
    const outcome = await this.table.conditionalUpdate(
      key,
      {
        UpdateExpression: 'SET finishedVersion = :version REMOVE leaseOwner, leaseUntil',
        ConditionExpression: `${notAhead} AND (attribute_not_exists(leaseOwner) OR leaseOwner = :owner)`,
        ExpressionAttributeValues: { ':version': version, ':owner': owner },
      },
      what,
    );
    if (outcome.applied || outcome.item === undefined) return;
    // Refused: a newer version is already finished, or another owner leases the window now.
    const stored = parseItem(windowItem, outcome.item, 'a window', this.table.tableName);
    if ((stored.finishedVersion ?? 0) < version) {
      await this.table.conditionalUpdate(
        key,
        {
          UpdateExpression: 'SET finishedVersion = :version',
          ConditionExpression: notAhead,
          ExpressionAttributeValues: { ':version': version },
        },
        what,
      );
    } else if (stored.leaseOwner === owner) {
      await this.table.conditionalUpdate(
        key,
        {
          UpdateExpression: 'REMOVE leaseOwner, leaseUntil',
          ConditionExpression: 'leaseOwner = :owner',
          ExpressionAttributeValues: { ':owner': owner },
        },
        what,
      );
    }
  }

  private key(dataset: string, windowStart: number) {
    return { pk: keys.dataset(dataset), sk: keys.window(windowStart) };
  }

  private what(dataset: string, windowStart: number): string {
    return `window ${new Date(windowStart).toISOString()} of ${dataset}`;
  }

  private parse(item: Record<string, unknown>): WindowState {
    const stored = parseItem(windowItem, item, 'a window', this.table.tableName);
    return {
      windowStart: stored.windowStart,
      parts: [...(stored.parts ?? [])].sort(),
      manifestVersion: stored.manifestVersion ?? 0,
      manifestKey: stored.manifestKey,
      sealedPartsHash: stored.sealedPartsHash,
      sealedPartCount: stored.sealedPartCount ?? 0,
      finishedVersion: stored.finishedVersion ?? 0,
    };
  }
}
