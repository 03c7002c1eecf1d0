import type { WindowState } from '@apphub/watermarks';
import type { DatasetDescriptor } from './descriptor.js';
import { LakeObjectError } from './errors.js';
import type { Lake } from './lake.js';
import { type WindowManifest, windowManifestSchema } from './manifest.js';
import type { PartCache } from './part-cache.js';
import { decodeHotPart, type StoredRow } from './parts.js';
import { mapRequests } from './request-limit.js';

/** What a window's next seal, and a hybrid read of a window that is not sealed, compact. */
export interface WindowRecords {
  /** The published manifest the rows start from; absent before the first seal. */
  readonly previous?: WindowManifest | undefined;
  /** The rows of the previous version's compacted part and of every hot part added since. */
  readonly rows: StoredRow[];
}

/**
 * Reads a window as its next seal sees it: the compacted part of the published version (the
 * winning record per key of every part it covers, with lineage and tombstones) plus the hot parts
 * that version does not cover. Covered hot parts are never read, so they may have expired.
 */
export async function readWindowRecords(
  lake: Lake,
  descriptor: DatasetDescriptor,
  window: WindowState,
  partCache?: PartCache,
): Promise<WindowRecords> {
  const previous =
    window.manifestKey === undefined
      ? undefined
      : await lake.getJson(window.manifestKey, windowManifestSchema);
  // A manifest without a compacted part never had its parts tagged, so all of them are read.
  const start = previous?.compactedPart;
  const covered = new Set(start === undefined ? [] : previous?.parts);
  const keys = [...(start === undefined ? [] : [start]), ...window.parts.filter((key) => !covered.has(key))];
  const rows = await mapRequests(lake, keys, async (key) => {
    const cached = partCache?.get(key);
    if (cached) return cached;
    const bytes = await lake.get(key);
    let decoded: StoredRow[];
    try {
      decoded = decodeHotPart(descriptor, bytes);
    } catch (error) {
      throw new LakeObjectError(`cannot read part s3://${lake.bucket}/${key}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    partCache?.set(key, decoded);
    return decoded;
  });
  return { previous, rows: rows.flat() };
}
