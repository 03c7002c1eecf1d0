import { randomUUID } from 'node:crypto';
import { MetricName } from '@apphub/observability';
import {
  computeDatasetWatermark,
  isWindowClosed,
  type PartitionsAndWatermark,
  sealableThrough,
} from '@apphub/watermarks';
import type { BatcherContext } from './batcher-context.js';
import { type DatasetDescriptor, policyOf } from './descriptor.js';
import { WindowSealError } from './errors.js';
import { mapWithLimit } from './lake.js';
import type { BatcherMetrics } from './metrics.js';
import type { PartCache } from './part-cache.js';
import { withRequestLimit } from './request-limit.js';
import { sealWindow } from './sealing.js';

/**
 * Windows one pass compacts at once: it bounds the rows held in memory. Their S3 requests share the
 * invocation's one limit (BatcherContext.s3RequestsInFlight), however many windows run.
 */
const WINDOWS_SEALED_AT_ONCE = 4;

/** What a sealing pass did to a dataset: windows sealed, and the watermark and sealed range it left. */
export interface SealingPassSummary {
  readonly windowsSealed: number;
  readonly watermark?: number;
  readonly sealedThrough?: number;
}

/**
 * Advances the dataset watermark from its partitions' progress (never backwards) and seals every
 * window whose end plus allowed lateness it has passed and that has unsealed parts: windows after
 * `sealedThrough`, and `touchedWindows` of the current batch (late data for older windows). Then
 * moves `sealedThrough`. Also run on a schedule, so idle datasets seal their last windows.
 */
export async function sealDueWindows(
  passContext: Pick<BatcherContext, 'lake' | 'store' | 'logger' | 'now' | 'partCache' | 's3RequestsInFlight'>,
  descriptor: DatasetDescriptor,
  options: {
    readonly now?: number;
    readonly touchedWindows?: readonly number[];
    readonly metrics?: BatcherMetrics;
    /** Lease owner; a batch names itself after its offsets so that its retry gets the lease back. */
    readonly owner?: string;
    /** Hot parts in memory, so sealing need not read them back; defaults to the context's. */
    readonly partCache?: PartCache;
    /** The partitions' progress and the watermark item, when the caller read them (after its own progress). */
    readonly progress?: PartitionsAndWatermark;
  } = {},
): Promise<SealingPassSummary> {
  // The invocation's limit when a batch calls it; a pass of its own gets one.
  const context = withRequestLimit(passContext);
  const now = options.now ?? (context.now ?? Date.now)();
  const policy = policyOf(descriptor);
  const { partitions } =
    options.progress ?? (await context.store.partitions.listWithWatermark(descriptor.dataset));
  const computed = computeDatasetWatermark(partitions, now, policy);
  if (computed === undefined) return { windowsSealed: 0 };
  const stored = await context.store.watermarks.advanceWatermark(descriptor.dataset, computed, now);
  const watermark = stored.watermark ?? computed;
  const through = sealableThrough(watermark, policy);
  const pending = await context.store.windows.list(
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
      partCache,
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
  const leftAlone = await mapWithLimit(ordered, WINDOWS_SEALED_AT_ONCE, (windowStart) =>
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
  await mapWithLimit(held, WINDOWS_SEALED_AT_ONCE, (windowStart) => seal(windowStart, true));
  let target = through;
  let known = stored.sealedThrough;
  if (windowsSealed > 0 || held.length > 0) {
    // A concurrent pass may act on a newer watermark and seal windows beyond this one's view, and
    // stop before a window this pass was still sealing. So a pass that sealed or waited on anything
    // looks again after its own seals: the pass that finishes last sees every seal before it and moves
    // sealedThrough as far as the newest watermark allows.
    const latest = await context.store.watermarks.get(descriptor.dataset);
    const latestThrough = sealableThrough(Math.max(watermark, latest.watermark ?? watermark), policy);
    known = Math.max(known ?? 0, latest.sealedThrough ?? 0);
    const unsealed = await context.store.windows.list(
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
      : await context.store.watermarks.advanceSealedThrough(descriptor.dataset, target, now);
  options.metrics?.count(MetricName.windowsSealed, windowsSealed);
  options.metrics?.watermarkLag(Math.max(0, (now - watermark) / 1000));
  return { windowsSealed, watermark, sealedThrough };
}
