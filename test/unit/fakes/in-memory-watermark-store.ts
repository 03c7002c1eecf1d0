import {
  type DatasetWatermark,
  type DatasetWatermarkStore,
  mergeProgress,
  needsSealing,
  type PartitionProgress,
  type PartitionProgressStore,
  type PartitionProgressUpdate,
  type PartitionsAndWatermark,
  type WatermarkStore,
  type WindowLease,
  type WindowSeal,
  type WindowState,
  type WindowStore,
} from '@apphub/watermarks';

/**
 * The watermark table's three stores in memory, with the conditional-write semantics of the
 * DynamoDB ones: nothing moves backwards, a part is added once, a manifest version is published
 * once, a lease is refused while another owner's is unexpired. Each call reads and writes in one
 * synchronous step, as DynamoDB applies a conditional update atomically. The same contract suite
 * runs against this fake and against DynamoDB (test/support/watermark-store-contract.ts).
 */
export class InMemoryWatermarkStore implements WatermarkStore {
  readonly watermarks = new InMemoryDatasetWatermarkStore();
  readonly partitions = new InMemoryPartitionProgressStore(this.watermarks);
  readonly windows = new InMemoryWindowStore();
}

class InMemoryPartitionProgressStore implements PartitionProgressStore {
  private readonly items = new Map<string, Map<string, PartitionProgress>>();

  constructor(private readonly watermarks: InMemoryDatasetWatermarkStore) {}

  async record(dataset: string, progress: PartitionProgressUpdate): Promise<boolean> {
    const partitions = itemsOf(this.items, dataset);
    const key = `${progress.topic}#${progress.partition}`;
    const current = partitions.get(key);
    // The DynamoDB store's first request: given offset and event time both at least the stored ones
    // replace the item as given.
    const grows =
      progress.maxEventTime !== undefined &&
      (current === undefined ||
        (current.nextOffset <= progress.nextOffset &&
          (current.maxEventTime === undefined || current.maxEventTime <= progress.maxEventTime)));
    if (grows) {
      partitions.set(key, { ...progress });
      return true;
    }
    const merged = mergeProgress(current, progress);
    if (current && merged.nextOffset === current.nextOffset && merged.maxEventTime === current.maxEventTime) {
      return false;
    }
    partitions.set(key, merged);
    return true;
  }

  async get(dataset: string, topic: string, partition: number): Promise<PartitionProgress | undefined> {
    return this.items.get(dataset)?.get(`${topic}#${partition}`);
  }

  async list(dataset: string): Promise<PartitionProgress[]> {
    const partitions = this.items.get(dataset) ?? new Map<string, PartitionProgress>();
    return [...partitions.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, progress]) => progress);
  }

  async listWithWatermark(dataset: string): Promise<PartitionsAndWatermark> {
    // Read in one synchronous step: one snapshot, as DynamoDB's single query gives, and not a `get`.
    const watermark = this.watermarks.itemOf(dataset);
    return { partitions: await this.list(dataset), watermark };
  }
}

class InMemoryDatasetWatermarkStore implements DatasetWatermarkStore {
  private readonly items = new Map<string, DatasetWatermark>();

  async get(dataset: string): Promise<DatasetWatermark> {
    return this.itemOf(dataset);
  }

  /** The item as stored now, a copy (what the partition store's combined read sees). */
  itemOf(dataset: string): DatasetWatermark {
    return { ...this.items.get(dataset) };
  }

  async advanceWatermark(dataset: string, watermark: number): Promise<DatasetWatermark> {
    return this.advance(dataset, 'watermark', watermark);
  }

  async advanceSealedThrough(dataset: string, time: number): Promise<number> {
    return Number(this.advance(dataset, 'sealedThrough', time).sealedThrough);
  }

  private advance(dataset: string, attribute: keyof DatasetWatermark, value: number): DatasetWatermark {
    const current = this.items.get(dataset) ?? {};
    const stored = current[attribute];
    const next = stored === undefined || stored <= value ? { ...current, [attribute]: value } : current;
    this.items.set(dataset, next);
    return { ...next };
  }
}

/** A window as stored: its state and its lease. */
interface WindowItem {
  state: WindowState;
  lease?: { readonly owner: string; readonly until: number };
}

class InMemoryWindowStore implements WindowStore {
  private readonly items = new Map<string, Map<number, WindowItem>>();

  async addPart(dataset: string, windowStart: number, partKey: string): Promise<WindowState | undefined> {
    const windows = itemsOf(this.items, dataset);
    const item = windows.get(windowStart);
    if (!item) {
      windows.set(windowStart, {
        state: { windowStart, parts: [partKey], manifestVersion: 0, sealedPartCount: 0, finishedVersion: 0 },
      });
      return undefined;
    }
    const before = item.state;
    if (!before.parts.includes(partKey)) {
      item.state = { ...before, parts: [...before.parts, partKey].sort() };
    }
    return before;
  }

  async get(dataset: string, windowStart: number): Promise<WindowState | undefined> {
    return this.items.get(dataset)?.get(windowStart)?.state;
  }

  async list(
    dataset: string,
    fromStart: number,
    toStart: number,
    options: { readonly unsealedOnly?: boolean } = {},
  ): Promise<WindowState[]> {
    return [...(this.items.get(dataset)?.values() ?? [])]
      .map((item) => item.state)
      .filter((window) => window.windowStart >= fromStart && window.windowStart <= toStart)
      .filter((window) => !options.unsealedOnly || needsSealing(window))
      .sort((a, b) => a.windowStart - b.windowStart);
  }

  async lease(
    dataset: string,
    windowStart: number,
    owner: string,
    now: number,
    ttlMs: number,
  ): Promise<WindowLease> {
    const item = this.items.get(dataset)?.get(windowStart);
    if (!item || !needsSealing(item.state)) return { outcome: 'nothing-to-seal' };
    // DynamoDB's condition: no lease, an expired one (leaseUntil < now), or the caller's own.
    if (item.lease && item.lease.until >= now && item.lease.owner !== owner) {
      return { outcome: 'held-by-other', window: item.state };
    }
    item.lease = { owner, until: now + ttlMs };
    return { outcome: 'leased', window: item.state };
  }

  async commitSeal(dataset: string, windowStart: number, seal: WindowSeal): Promise<boolean> {
    const item = this.items.get(dataset)?.get(windowStart);
    if (!item || item.state.manifestVersion !== seal.expectedVersion) return false;
    item.state = {
      ...item.state,
      manifestVersion: seal.expectedVersion + 1,
      manifestKey: seal.manifestKey,
      sealedPartsHash: seal.partsHash,
      sealedPartCount: seal.partCount,
    };
    return true;
  }

  async finishSeal(dataset: string, windowStart: number, version: number, owner: string): Promise<void> {
    const item = this.items.get(dataset)?.get(windowStart);
    if (!item) return;
    if (item.state.finishedVersion <= version) item.state = { ...item.state, finishedVersion: version };
    if (item.lease?.owner === owner) delete item.lease;
  }

  /** The lease on a window, for assertions. */
  leaseOf(
    dataset: string,
    windowStart: number,
  ): { readonly owner: string; readonly until: number } | undefined {
    return this.items.get(dataset)?.get(windowStart)?.lease;
  }
}

function itemsOf<Key, Value>(items: Map<string, Map<Key, Value>>, dataset: string): Map<Key, Value> {
  let ofDataset = items.get(dataset);
  if (!ofDataset) {
    ofDataset = new Map();
    items.set(dataset, ofDataset);
  }
  return ofDataset;
}
