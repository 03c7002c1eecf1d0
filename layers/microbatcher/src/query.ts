import type { ParquetValue } from '@apphub/parquet';
import { decodeParquet } from '@apphub/parquet';
import {
  hasUnsealedParts,
  isWindowClosed,
  type WatermarkStore,
  type WindowState,
  windowStartOf,
} from '@apphub/watermarks';
import { type DatasetDescriptor, policyOf } from './descriptor.js';
import { QueryInvalidError } from './errors.js';
import type { Lake } from './lake.js';
import { windowManifestSchema } from './manifest.js';
import { compactRows, compareUpsertKeys } from './parts.js';
import { limitLakeRequests, mapRequests } from './request-limit.js';
import { readWindowRecords } from './window-records.js';

/** A row of a hybrid read, marked by where it came from. */
export interface HybridRow {
  /** `sealed`: from a published manifest, final. `hot`: compacted on the fly from hot parts. */
  readonly status: 'sealed' | 'hot';
  readonly windowStart: number;
  readonly values: Readonly<Record<string, ParquetValue>>;
}

export interface HybridResult {
  readonly rows: HybridRow[];
  readonly watermark?: number | undefined;
  readonly sealedThrough?: number | undefined;
}

/**
 * Reads rows whose timestamp is in [from, to): sealed windows from their manifest's Parquet files,
 * the others (not yet past the watermark plus lateness, or with late parts not yet re-sealed) as
 * the next seal would: the published version's compacted part plus the hot parts added since, with
 * the same upsert rules the sealer applies.
 */
export async function queryDataset(
  context: { readonly lake: Lake; readonly store: WatermarkStore },
  descriptor: DatasetDescriptor,
  range: { readonly from: number; readonly to: number },
): Promise<HybridResult> {
  if (!(range.from < range.to)) {
    throw new QueryInvalidError(
      `query range is empty: --from ${new Date(range.from).toISOString()} must be before --to ${new Date(range.to).toISOString()}`,
    );
  }
  const { watermark, sealedThrough } = await context.store.watermarks.get(descriptor.dataset);
  const windows = await context.store.windows.list(
    descriptor.dataset,
    windowStartOf(range.from, descriptor.windowDuration),
    windowStartOf(range.to - 1, descriptor.windowDuration),
  );
  const lake = limitLakeRequests(context.lake);
  const perWindow = await mapRequests(lake, windows, (window) =>
    readWindow(lake, descriptor, window, watermark),
  );
  const field = descriptor.timestampField;
  const rows = perWindow
    .flat()
    .filter((row) => {
      const time = row.values[field] as number;
      return time >= range.from && time < range.to;
    })
    .sort(
      (a, b) =>
        (a.values[field] as number) - (b.values[field] as number) ||
        compareUpsertKeys(descriptor, a.values, b.values),
    );
  return { rows, watermark, sealedThrough };
}

/** Whether reads of `window` may use its manifest: sealed, nothing newer, and behind the watermark. */
export function isWindowSealed(
  descriptor: DatasetDescriptor,
  window: WindowState,
  watermark: number | undefined,
): boolean {
  return (
    window.manifestKey !== undefined &&
    !hasUnsealedParts(window) &&
    isWindowClosed(window.windowStart, watermark, policyOf(descriptor))
  );
}

async function readWindow(
  lake: Lake,
  descriptor: DatasetDescriptor,
  window: WindowState,
  watermark: number | undefined,
): Promise<HybridRow[]> {
  if (isWindowSealed(descriptor, window, watermark)) {
    const manifest = await lake.getJson(window.manifestKey!, windowManifestSchema);
    const files = await mapRequests(
      lake,
      manifest.files.filter((file) => file.rowCount > 0),
      // Read as the descriptor's schema: fields added since read as null, widened ones converted.
      async (file) => decodeParquet(await lake.get(file.key), descriptor.schema.fields).rows,
    );
    return files.flat().map((values) => ({ status: 'sealed', windowStart: window.windowStart, values }));
  }
  const { rows } = await readWindowRecords(lake, descriptor, window);
  return compactRows(descriptor, rows).map((values) => ({
    status: 'hot',
    windowStart: window.windowStart,
    values,
  }));
}
