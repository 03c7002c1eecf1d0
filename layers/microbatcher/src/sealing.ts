import type { ParquetValue } from '@apphub/parquet';
import { hasUnsealedParts, type WatermarkStore, type WindowState } from '@apphub/watermarks';
import type { DatasetDescriptor } from './descriptor.js';
import { WindowSealError } from './errors.js';
import type { Lake } from './lake.js';
import {
  compactedPartKey,
  datasetRoot,
  hashParts,
  manifestKey,
  partitionPath,
  SEALED_PART_TAG,
  sealedFileKey,
} from './layout.js';
import { FORMAT_VERSION, type WindowManifest, windowManifestSchema } from './manifest.js';
import { cachedEncoding, type PartCache } from './part-cache.js';
import { encodeHotPart, encodeSealedFile, latestRecords, liveValues } from './parts.js';
import { mapRequests } from './request-limit.js';
import { writeSymlinkManifests } from './symlinks.js';
import { readWindowRecords } from './window-records.js';

export interface SealOutcome {
  /** False when the window had nothing new to seal, or another sealer holds it. */
  readonly sealed: boolean;
  /** True when another sealer's lease made this call leave the window alone. */
  readonly leasedByOther?: boolean;
  /** True when this call finished a version published before (its sealer stopped after publishing). */
  readonly finished?: boolean;
  readonly manifest?: WindowManifest;
  readonly manifestKey?: string;
  /** Upsert keys of the sealed rows that came from more than one Kafka partition (see latestRecords). */
  readonly keysOnSeveralPartitions?: number;
}

/** The clock a lease wait reads and sleeps on: the process's own, or a test's that advances itself. */
export interface SealClock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

const processClock: SealClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface SealOptions {
  /** Lease owner of this sealer. */
  readonly owner: string;
  /** Processing time when the call starts; each lease attempt adds the time elapsed since on `clock`. */
  readonly now: number;
  /** Measures the time elapsed in a lease wait; defaults to the process's monotonic clock. */
  readonly clock?: SealClock | undefined;
  /**
   * Wait while another owner holds the lease (up to its length) instead of leaving the window; a
   * lease still held after that is reported as `leasedByOther` too.
   */
  readonly waitForLease?: boolean;
  /** Rows of hot parts already in memory; parts read from S3 are added to it. */
  readonly partCache?: PartCache | undefined;
}

/** How long a sealer may hold a window before others may take over. */
export const sealLeaseMs = 60_000;

/** How often a sealer waiting for another's lease asks again. */
const leasePollMs = 200;

/**
 * Seals one window: compacts the previous version's compacted part and the hot parts added since
 * with upsert semantics into a new compacted part and one Parquet file per partition-key cell,
 * writes a manifest, then publishes it with a conditional write, and finishes the version: symlink
 * manifests for Athena, and the newly covered hot parts tagged so that they may expire. File and
 * manifest keys derive from the set of parts, so a crashed attempt and its retry write the same
 * objects, and a concurrent sealer of a different part set never overwrites this one's files. A
 * short lease keeps concurrent invocations from compacting the same window at the same time; a
 * version published by a sealer that stopped before finishing it is finished by the next one.
 */
export async function sealWindow(
  context: { readonly lake: Lake; readonly store: WatermarkStore },
  descriptor: DatasetDescriptor,
  windowStart: number,
  options: SealOptions = { owner: `seal-${process.pid}`, now: Date.now() },
): Promise<SealOutcome> {
  const clock = options.clock ?? processClock;
  const startedAt = clock.now();
  // Time spent waiting for another sealer's lease, read after every sleep: a lease whose sealer
  // crashed expires inside the wait, as it would for a sealer starting later.
  let elapsed = 0;
  for (let attempt = 0; attempt < 5; ) {
    const lease = await context.store.windows.lease(
      descriptor.dataset,
      windowStart,
      options.owner,
      options.now + elapsed,
      sealLeaseMs,
    );
    if (lease.outcome === 'nothing-to-seal') return { sealed: false };
    if (lease.outcome === 'held-by-other') {
      if (!options.waitForLease || elapsed > sealLeaseMs) return { sealed: false, leasedByOther: true };
      await clock.sleep(leasePollMs);
      elapsed = clock.now() - startedAt;
      continue;
    }
    const window = lease.window;
    if (!hasUnsealedParts(window)) {
      // Published but not finished: its sealer stopped in between. Which parts it tagged is not
      // known, so all of the version's are (tagging twice changes nothing).
      const manifest = await context.lake.getJson(window.manifestKey!, windowManifestSchema);
      await finishSeal(context, descriptor, manifest, manifest.parts, options.owner);
      return { sealed: false, finished: true, manifest, manifestKey: window.manifestKey! };
    }
    attempt += 1;
    const outcome = await compactAndPublish(context, descriptor, window, options);
    if (outcome) return outcome;
  }
  throw new WindowSealError(
    `window ${new Date(windowStart).toISOString()} of ${descriptor.dataset} kept changing under concurrent sealers`,
  );
}

async function compactAndPublish(
  context: { readonly lake: Lake; readonly store: WatermarkStore },
  descriptor: DatasetDescriptor,
  window: WindowState,
  options: SealOptions,
): Promise<SealOutcome | undefined> {
  const windowStart = window.windowStart;
  const partsHash = hashParts(datasetRoot(descriptor), window.parts);
  const { previous, rows } = await readWindowRecords(context.lake, descriptor, window, options.partCache);
  const latest = latestRecords(descriptor, rows);
  // Cells of earlier versions stay (possibly empty), so this version's symlink manifests cover theirs.
  const cells = new Map<string, Readonly<Record<string, ParquetValue>>[]>(
    (previous?.files ?? []).map((file) => [file.partition, []]),
  );
  for (const row of liveValues(latest.rows)) {
    const cell = partitionPath(descriptor.partitionKeys, row);
    const cellRows = cells.get(cell);
    if (cellRows) cellRows.push(row);
    else cells.set(cell, [row]);
  }
  const files = [...cells.keys()].sort().map((cell) => ({
    key: sealedFileKey(descriptor, windowStart, cell, partsHash),
    partition: cell,
    rowCount: cells.get(cell)!.length,
  }));
  const version = window.manifestVersion + 1;
  const compactedPart = compactedPartKey(descriptor, windowStart, partsHash);
  const manifest: WindowManifest = {
    formatVersion: FORMAT_VERSION,
    dataset: descriptor.dataset,
    version,
    windowStart: new Date(windowStart).toISOString(),
    windowEnd: new Date(windowStart + descriptor.windowDuration).toISOString(),
    partsHash,
    parts: [...window.parts],
    compactedPart,
    files,
    rowCount: files.reduce((sum, file) => sum + file.rowCount, 0),
    columns: [...descriptor.schema.fields],
  };
  const key = manifestKey(descriptor, windowStart, version, partsHash);
  // Everything goes up together: nothing points at these objects until the manifest is published below.
  await Promise.all([
    context.lake.put(
      compactedPart,
      cachedEncoding(options.partCache, window.parts, previous?.compactedPart, latest.rows) ??
        encodeHotPart(descriptor, latest.rows),
      'application/vnd.apache.parquet',
    ),
    mapRequests(context.lake, files, (file) =>
      context.lake.put(
        file.key,
        encodeSealedFile(descriptor, cells.get(file.partition)!),
        'application/vnd.apache.parquet',
      ),
    ),
    context.lake.put(key, `${JSON.stringify(manifest, null, 2)}\n`, 'application/json'),
  ]);
  options.partCache?.set(compactedPart, latest.rows);
  const published = await context.store.windows.commitSeal(descriptor.dataset, windowStart, {
    expectedVersion: window.manifestVersion,
    manifestKey: key,
    partsHash,
    partCount: window.parts.length,
  });
  if (!published) return undefined;
  // A finished previous version with a compacted part has tagged the parts it covers; else tag them all.
  const tagged = window.finishedVersion === window.manifestVersion && previous?.compactedPart !== undefined;
  const covered = new Set(tagged ? previous.parts : []);
  await finishSeal(
    context,
    descriptor,
    manifest,
    window.parts.filter((part) => !covered.has(part)),
    options.owner,
  );
  return {
    sealed: true,
    manifest,
    manifestKey: key,
    keysOnSeveralPartitions: latest.keysOnSeveralPartitions,
  };
}

/**
 * The work after a version is published, each step idempotent: symlink manifests point at its files
 * (never back to an older version), the hot parts it covers get SEALED_PART_TAG (its compacted part
 * replaces them), then the version is recorded as finished and the lease released.
 */
async function finishSeal(
  context: { readonly lake: Lake; readonly store: WatermarkStore },
  descriptor: DatasetDescriptor,
  manifest: WindowManifest,
  partsToTag: readonly string[],
  owner: string,
): Promise<void> {
  await writeSymlinkManifests(context.lake, descriptor, manifest);
  // Only a compacted part makes the parts redundant. A part missing already expired: it was tagged.
  const redundant = manifest.compactedPart === undefined ? [] : partsToTag;
  await mapRequests(context.lake, redundant, (part) => context.lake.tag(part, SEALED_PART_TAG));
  await context.store.windows.finishSeal(
    descriptor.dataset,
    Date.parse(manifest.windowStart),
    manifest.version,
    owner,
  );
}
