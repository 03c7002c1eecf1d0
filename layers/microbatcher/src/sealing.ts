import type { ParquetValue } from '@apphub/parquet';
import type { WatermarkStore, WindowState } from '@apphub/watermarks';
import type { DatasetDescriptor } from './descriptor.js';
import { WindowSealError } from './errors.js';
import { type Lake, mapWithLimit } from './lake.js';
import { datasetRoot, hashParts, manifestKey, partitionPath, sealedFileKey } from './layout.js';
import type { PartCache } from './part-cache.js';
import { compactRows, decodeHotPart, encodeSealedFile } from './parts.js';

/** The manifest of one sealed window version: which files hold the window's rows. */
export interface WindowManifest {
  readonly dataset: string;
  readonly version: number;
  readonly windowStart: string;
  readonly windowEnd: string;
  /** Hash of the hot parts this version compacts; equal parts give an equal manifest. */
  readonly partsHash: string;
  readonly parts: readonly string[];
  readonly files: readonly { readonly key: string; readonly partition: string; readonly rowCount: number }[];
  readonly rowCount: number;
  readonly columns: DatasetDescriptor['schema']['fields'];
}

export interface SealOutcome {
  /** False when the window had nothing new to seal, or another sealer holds it. */
  readonly sealed: boolean;
  /** True when another sealer's lease made this call leave the window alone. */
  readonly leasedByOther?: boolean;
  readonly manifest?: WindowManifest;
  readonly manifestKey?: string;
}

export interface SealOptions {
  /** Lease owner of this sealer. */
  readonly owner: string;
  /** Processing time, for lease expiry. */
  readonly now: number;
  /**
   * Wait while another owner holds the lease (up to its length) instead of leaving the window; a
   * lease still held after that is reported as `leasedByOther` too.
   */
  readonly waitForLease?: boolean;
  /** Rows of hot parts already in memory; parts read from S3 are added to it. */
  readonly partCache?: PartCache;
}

/** How long a sealer may hold a window before others may take over. */
export const sealLeaseMs = 60_000;

/**
 * Seals one window: compacts all its hot parts with upsert semantics into one Parquet file per
 * partition-key cell, writes a manifest, then publishes it with a conditional write. File and
 * manifest keys derive from the set of parts, so a crashed attempt and its retry write the same
 * objects, and a concurrent sealer of a different part set never overwrites this one's files. A
 * short lease keeps concurrent invocations from compacting the same window at the same time.
 */
export async function sealWindow(
  context: { readonly lake: Lake; readonly store: WatermarkStore },
  descriptor: DatasetDescriptor,
  windowStart: number,
  options: SealOptions = { owner: `seal-${process.pid}`, now: Date.now() },
): Promise<SealOutcome> {
  const waitUntil = performance.now() + sealLeaseMs;
  for (let attempt = 0; attempt < 5; ) {
    const lease = await context.store.leaseWindow(
      descriptor.dataset,
      windowStart,
      options.owner,
      options.now,
      sealLeaseMs,
    );
    if (lease.outcome === 'nothing-to-seal') return { sealed: false };
    if (lease.outcome === 'held-by-other') {
      if (!options.waitForLease || performance.now() > waitUntil)
        return { sealed: false, leasedByOther: true };
      await new Promise((resolve) => setTimeout(resolve, 200));
      continue;
    }
    attempt += 1;
    const outcome = await compactAndPublish(context, descriptor, lease.window, options.partCache);
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
  partCache: PartCache | undefined,
): Promise<SealOutcome | undefined> {
  const windowStart = window.windowStart;
  const partsHash = hashParts(datasetRoot(descriptor), window.parts);
  const stored = (
    await mapWithLimit(window.parts, 8, async (key) => {
      const cached = partCache?.get(key);
      if (cached) return cached;
      const rows = decodeHotPart(descriptor, await context.lake.get(key));
      partCache?.set(key, rows);
      return rows;
    })
  ).flat();
  const cells = new Map<string, Readonly<Record<string, ParquetValue>>[]>();
  for (const row of compactRows(descriptor, stored)) {
    const cell = partitionPath(descriptor.partitionKeys, row);
    const rows = cells.get(cell);
    if (rows) rows.push(row);
    else cells.set(cell, [row]);
  }
  const files = [...cells.keys()].sort().map((cell) => ({
    key: sealedFileKey(descriptor, windowStart, cell, partsHash),
    partition: cell,
    rowCount: cells.get(cell)!.length,
  }));
  const version = window.manifestVersion + 1;
  const manifest: WindowManifest = {
    dataset: descriptor.dataset,
    version,
    windowStart: new Date(windowStart).toISOString(),
    windowEnd: new Date(windowStart + descriptor.windowDuration).toISOString(),
    partsHash,
    parts: window.parts,
    files,
    rowCount: files.reduce((sum, file) => sum + file.rowCount, 0),
    columns: descriptor.schema.fields,
  };
  const key = manifestKey(descriptor, windowStart, version, partsHash);
  // Files and manifest go up together: nothing points at them until the manifest is published below.
  await Promise.all([
    mapWithLimit(files, 8, (file) =>
      context.lake.put(
        file.key,
        encodeSealedFile(descriptor, cells.get(file.partition)!),
        'application/vnd.apache.parquet',
      ),
    ),
    context.lake.put(key, `${JSON.stringify(manifest, null, 2)}\n`, 'application/json'),
  ]);
  const published = await context.store.commitWindowSeal(descriptor.dataset, windowStart, {
    expectedVersion: window.manifestVersion,
    manifestKey: key,
    partsHash,
    partCount: window.parts.length,
  });
  return published ? { sealed: true, manifest, manifestKey: key } : undefined;
}
