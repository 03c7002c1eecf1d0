import { randomUUID } from 'node:crypto';
import { type DecodedKafkaRecord, decodeKafkaEvent } from '@apphub/kafka-event';
import type { Logger, Metrics } from '@apphub/observability';
import {
  computeDatasetWatermark,
  isWindowClosed,
  sealableThrough,
  type WatermarkStore,
  type WindowState,
} from '@apphub/watermarks';
import { type DatasetDescriptor, policyOf } from './descriptor.js';
import { WindowSealError } from './errors.js';
import { type Lake, mapWithLimit } from './lake.js';
import { datasetRoot, deadLetterKey, SEALED_PART_TAG } from './layout.js';
import { BatcherMetrics, MetricName, unroutedDataset } from './metrics.js';
import { PartCache } from './part-cache.js';
import { encodeHotPart, groupIntoParts } from './parts.js';
import { type DatasetRow, decodeDatasetRecord } from './records.js';
import { sealWindow, type WindowManifest } from './sealing.js';

/** Everything the micro-batcher needs, passed in so the handler, local runner and tests share it. */
export interface BatcherContext {
  readonly descriptors: readonly DatasetDescriptor[];
  readonly lake: Lake;
  readonly store: WatermarkStore;
  readonly logger: Logger;
  /** A metrics collector with dimension `Dataset` = `dataset`; flushed once per dataset and call. */
  readonly metricsFor: (dataset: string) => Metrics;
  /**
   * Invocation-wide collector (dimension `Service`), flushed by the observability middleware: it
   * receives every count summed over datasets, and the largest watermark lag.
   */
  readonly serviceMetrics?: Metrics;
  /** Processing time; defaults to Date.now. */
  readonly now?: () => number;
  /** S3 requests in flight at once. */
  readonly concurrency?: number;
  /**
   * Hot parts this process wrote, kept across invocations of a warm function so sealing need not
   * read them back; created once at cold start. Without one, only the current batch's parts are kept.
   */
  readonly partCache?: PartCache;
}

export interface DatasetBatchSummary {
  readonly records: number;
  readonly deadLetters: number;
  readonly lateRecords: number;
  readonly partsWritten: number;
  readonly windowsSealed: number;
  readonly watermark?: number;
  readonly sealedThrough?: number;
}

export interface DeadLetter {
  readonly dataset: string;
  readonly reason: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  /** Raw bytes, base64. */
  readonly key: string | null;
  readonly value: string | null;
  readonly headers: readonly { readonly name: string; readonly value: string }[];
}

/**
 * Processes one Lambda Kafka event, dataset by dataset: dead letters and hot parts to S3, parts
 * and partition progress to DynamoDB, then the watermark and the windows it seals. Every step is
 * idempotent and ordered so that a crash at any point, followed by a redelivery of the same batch,
 * converges to the state of one clean run. Throws (so Lambda retries the batch) only when storage
 * fails; bad records never fail the batch.
 */
export async function processKafkaEvent(
  context: BatcherContext,
  event: unknown,
): Promise<Record<string, DatasetBatchSummary>> {
  const records = decodeKafkaEvent(event);
  const summaries: Record<string, DatasetBatchSummary> = {};
  const routedTopics = new Set(context.descriptors.map((descriptor) => descriptor.topic));
  const unrouted = records.filter((record) => !routedTopics.has(record.topic));
  if (unrouted.length > 0) {
    const metrics = metricsOf(context, unroutedDataset);
    try {
      metrics.count(MetricName.RecordsProcessed, unrouted.length);
      await writeDeadLetters(
        context,
        `${context.descriptors[0]?.prefix ?? 'streaming'}/${unroutedDataset}`,
        unroutedDataset,
        unrouted.map((record) => ({ record, reason: `no dataset descriptor reads topic ${record.topic}` })),
        metrics,
      );
    } finally {
      metrics.flush();
    }
  }
  for (const descriptor of context.descriptors) {
    const own = records.filter((record) => record.topic === descriptor.topic);
    if (own.length === 0) continue;
    summaries[descriptor.dataset] = await processDatasetRecords(context, descriptor, own);
  }
  return summaries;
}

async function processDatasetRecords(
  context: BatcherContext,
  descriptor: DatasetDescriptor,
  records: readonly DecodedKafkaRecord[],
): Promise<DatasetBatchSummary> {
  const now = (context.now ?? Date.now)();
  const metrics = metricsOf(context, descriptor.dataset);
  const concurrency = context.concurrency ?? 16;
  try {
    metrics.count(MetricName.RecordsProcessed, records.length);
    const rows: DatasetRow[] = [];
    const bad: { record: DecodedKafkaRecord; reason: string }[] = [];
    for (const record of records) {
      const outcome = decodeDatasetRecord(record, descriptor);
      if (outcome.ok) rows.push(outcome.row);
      else bad.push({ record, reason: outcome.reason });
    }
    await writeDeadLetters(context, datasetRoot(descriptor), descriptor.dataset, bad, metrics);

    const parts = groupIntoParts(descriptor, rows);
    const partCache = context.partCache ?? new PartCache();
    const [before] = await Promise.all([
      context.store.getDatasetWatermark(descriptor.dataset),
      mapWithLimit(parts, concurrency, async (part) => {
        await context.lake.put(
          part.key,
          encodeHotPart(descriptor, part.rows),
          'application/vnd.apache.parquet',
        );
        partCache.set(part.key, part.rows);
      }),
    ]);
    let lateRecords = 0;
    const manifests = new Map<string, Promise<WindowManifest>>();
    await mapWithLimit(parts, concurrency, async (part) => {
      const previous = await context.store.addWindowPart(descriptor.dataset, part.windowStart, part.key);
      const isNew = !previous?.parts.includes(part.key);
      if (!isNew) await retagCoveredPart(context.lake, part.key, previous!, manifests);
      const behindWatermark = isWindowClosed(part.windowStart, before.watermark, policyOf(descriptor));
      if (isNew && ((previous?.manifestVersion ?? 0) > 0 || behindWatermark)) lateRecords += part.rows.length;
    });
    if (lateRecords > 0) {
      metrics.count(MetricName.LateRecords, lateRecords);
      context.logger.info('late records re-open sealed windows', {
        dataset: descriptor.dataset,
        lateRecords,
      });
    }

    await mapWithLimit(progressByPartition(records, rows), concurrency, (progress) =>
      context.store.recordPartitionProgress(descriptor.dataset, { ...progress, updatedAt: now }),
    );

    const touched = [...new Set(parts.map((part) => part.windowStart))];
    const sealing = await sealDueWindows(context, descriptor, {
      now,
      touchedWindows: touched,
      metrics,
      owner: batchOwner(records),
      partCache,
    });
    return {
      records: records.length,
      deadLetters: bad.length,
      lateRecords,
      partsWritten: parts.length,
      ...sealing,
    };
  } finally {
    metrics.flush();
  }
}

/**
 * A redelivered part (already in its window) was just written again under its old key: a new object,
 * without the tag it had, or back after it expired. If a published version covers it, its compacted
 * part holds the part's records already, so it is tagged again and expires as before; compaction
 * keeps the newest record per key, so its old values cannot come back either way.
 */
async function retagCoveredPart(
  lake: Lake,
  key: string,
  window: WindowState,
  manifests: Map<string, Promise<WindowManifest>>,
): Promise<void> {
  const manifestKey = window.manifestKey;
  if (manifestKey === undefined) return;
  if (!manifests.has(manifestKey)) manifests.set(manifestKey, lake.getJson<WindowManifest>(manifestKey));
  const manifest = await manifests.get(manifestKey)!;
  if (manifest.compactedPart !== undefined && manifest.parts.includes(key)) {
    await lake.tag(key, SEALED_PART_TAG);
  }
}

/** A name for the batch from its offsets: the same batch, retried, has the same name. */
function batchOwner(records: readonly DecodedKafkaRecord[]): string {
  const first = records[0]!;
  const last = records[records.length - 1]!;
  return `batch-${first.topic}-${first.partition}-${first.offset}-${last.partition}-${last.offset}`;
}

/** Next offset and newest event time per Kafka partition of the batch; dead letters move offsets too. */
function progressByPartition(records: readonly DecodedKafkaRecord[], rows: readonly DatasetRow[]) {
  const progress = new Map<
    number,
    { topic: string; partition: number; nextOffset: number; maxEventTime?: number }
  >();
  for (const record of records) {
    const current = progress.get(record.partition);
    if (current) current.nextOffset = Math.max(current.nextOffset, record.offset + 1);
    else
      progress.set(record.partition, {
        topic: record.topic,
        partition: record.partition,
        nextOffset: record.offset + 1,
      });
  }
  for (const row of rows) {
    const current = progress.get(row.partition)!;
    if (current.maxEventTime === undefined || row.eventTime > current.maxEventTime)
      current.maxEventTime = row.eventTime;
  }
  return [...progress.values()];
}

async function writeDeadLetters(
  context: BatcherContext,
  root: string,
  dataset: string,
  bad: readonly { record: DecodedKafkaRecord; reason: string }[],
  metrics: BatcherMetrics,
): Promise<void> {
  if (bad.length === 0) return;
  metrics.count(MetricName.DeadLetterRecords, bad.length);
  await mapWithLimit(bad, context.concurrency ?? 16, async ({ record, reason }) => {
    const key = deadLetterKey(root, record);
    const letter: DeadLetter = {
      dataset,
      reason,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: record.key?.toString('base64') ?? null,
      value: record.value?.toString('base64') ?? null,
      headers: record.headers.map((header) => ({
        name: header.name,
        value: header.value.toString('base64'),
      })),
    };
    await context.lake.put(key, `${JSON.stringify(letter)}\n`, 'application/json');
    context.logger.warn('record dead-lettered', {
      dataset,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      reason,
      object: `s3://${context.lake.bucket}/${key}`,
    });
  });
}

/** The metrics of one dataset for this call, mirrored into the service-wide collector. */
export function metricsOf(
  context: Pick<BatcherContext, 'metricsFor' | 'serviceMetrics'>,
  dataset: string,
): BatcherMetrics {
  return new BatcherMetrics(context.metricsFor(dataset), context.serviceMetrics);
}

/**
 * Advances the dataset watermark from its partitions' progress (never backwards) and seals every
 * window whose end plus allowed lateness it has passed and that has unsealed parts: windows after
 * `sealedThrough`, and `touchedWindows` of the current batch (late data for older windows). Then
 * moves `sealedThrough`. Also run on a schedule, so idle datasets seal their last windows.
 */
export async function sealDueWindows(
  context: Pick<BatcherContext, 'lake' | 'store' | 'logger' | 'now' | 'partCache'>,
  descriptor: DatasetDescriptor,
  options: {
    readonly now?: number;
    readonly touchedWindows?: readonly number[];
    readonly metrics?: BatcherMetrics;
    /** Lease owner; a batch names itself after its offsets so that its retry gets the lease back. */
    readonly owner?: string;
    /** Hot parts in memory, so sealing need not read them back; defaults to the context's. */
    readonly partCache?: PartCache;
  } = {},
): Promise<Pick<DatasetBatchSummary, 'windowsSealed' | 'watermark' | 'sealedThrough'>> {
  const now = options.now ?? (context.now ?? Date.now)();
  const policy = policyOf(descriptor);
  const partitions = await context.store.listPartitions(descriptor.dataset);
  const computed = computeDatasetWatermark(partitions, now, policy);
  if (computed === undefined) return { windowsSealed: 0 };
  const stored = await context.store.advanceWatermark(descriptor.dataset, computed, now);
  const watermark = stored.watermark ?? computed;
  const through = sealableThrough(watermark, policy);
  const pending = await context.store.listWindows(
    descriptor.dataset,
    stored.sealedThrough ?? 0,
    through - descriptor.windowDuration,
    { unsealedOnly: true },
  );
  const touched = new Set(
    (options.touchedWindows ?? []).filter((start) => isWindowClosed(start, watermark, policy)),
  );
  const due = new Set([...pending.map((window) => window.windowStart), ...touched]);
  const owner = options.owner ?? `pass-${randomUUID()}`;
  const partCache = options.partCache ?? context.partCache;
  let windowsSealed = 0;
  /** Seals one window; true when another sealer's lease kept this pass from it. */
  const seal = async (windowStart: number, waitForLease: boolean): Promise<boolean> => {
    const outcome = await sealWindow(context, descriptor, windowStart, {
      owner,
      now,
      waitForLease,
      ...(partCache ? { partCache } : {}),
    });
    const where = { dataset: descriptor.dataset, windowStart: new Date(windowStart).toISOString() };
    if (outcome.sealed) {
      windowsSealed += 1;
      context.logger.info('window sealed', {
        ...where,
        version: outcome.manifest?.version,
        rows: outcome.manifest?.rowCount,
        manifest: outcome.manifestKey,
      });
    }
    if (outcome.finished) {
      context.logger.info('window seal finished', {
        ...where,
        version: outcome.manifest?.version,
        manifest: outcome.manifestKey,
      });
    }
    if ((outcome.keysOnSeveralPartitions ?? 0) > 0) {
      context.logger.warn('upsert keys on several Kafka partitions: the highest offset won', {
        ...where,
        keys: outcome.keysOnSeveralPartitions,
      });
    }
    return outcome.leasedByOther === true;
  };
  // A window behind sealedThrough that this batch wrote to (late data) must be sealed before the batch
  // counts as done: no later pass looks there, so its sealer waits for any lease on it.
  const lateWindow = (windowStart: number) =>
    touched.has(windowStart) && windowStart < (stored.sealedThrough ?? 0);
  const ordered = [...due].sort((a, b) => a - b);
  const leftAlone = await mapWithLimit(ordered, 4, (windowStart) =>
    seal(windowStart, lateWindow(windowStart)),
  );
  const stillHeldLate = ordered.find((windowStart, index) => leftAlone[index] && lateWindow(windowStart));
  if (stillHeldLate !== undefined) {
    throw new WindowSealError(
      `late data for window ${new Date(stillHeldLate).toISOString()} of ${descriptor.dataset} is not sealed: another sealer held the window beyond the lease time`,
    );
  }
  // A due window another sealer held is waited for and sealed again once it is free: its holder seals
  // the parts it saw when it leased, and one added since (by a concurrent batch) would otherwise wait for
  // the next pass. Own leases are all released by now, so two passes waiting on each other cannot block.
  // A window still held after the lease time (a crashed sealer) is left to a later pass: the re-read
  // below finds it unsealed and stops sealedThrough before it.
  const held = ordered.filter((_, index) => leftAlone[index]);
  await mapWithLimit(held, 4, (windowStart) => seal(windowStart, true));
  let target = through;
  let known = stored.sealedThrough;
  if (windowsSealed > 0 || held.length > 0) {
    // A concurrent pass may act on a newer watermark and seal windows beyond this one's view, and
    // stop before a window this pass was still sealing. So a pass that sealed or waited on anything
    // looks again after its own seals: the pass that finishes last sees every seal before it and moves
    // sealedThrough as far as the newest watermark allows.
    const latest = await context.store.getDatasetWatermark(descriptor.dataset);
    const latestThrough = sealableThrough(Math.max(watermark, latest.watermark ?? watermark), policy);
    known = Math.max(known ?? 0, latest.sealedThrough ?? 0);
    const unsealed = await context.store.listWindows(
      descriptor.dataset,
      known,
      latestThrough - descriptor.windowDuration,
      { unsealedOnly: true },
    );
    target = Math.min(latestThrough, ...unsealed.map((window) => window.windowStart));
  }
  // Written only when it moves: most batches seal nothing and would rewrite the same value.
  const sealedThrough =
    known !== undefined && target <= known
      ? known
      : await context.store.advanceSealedThrough(descriptor.dataset, target, now);
  options.metrics?.count(MetricName.WindowsSealed, windowsSealed);
  options.metrics?.watermarkLag(Math.max(0, (now - watermark) / 1000));
  return { windowsSealed, watermark, sealedThrough };
}
