import type { StoredRow } from './parts.js';

/**
 * Rows of recently written hot parts, kept across invocations of a warm function so that sealing a
 * window does not read back from S3 the parts this process itself wrote. A part's key names its
 * topic, partition and offset range, so its content never changes: a cached entry cannot go stale.
 * Bounded by cells (rows times columns, lineage included), so wide schemas hold fewer rows; the
 * least recently used parts go first. A miss only costs the S3 read.
 */
export class PartCache {
  private readonly entries = new Map<
    string,
    { readonly rows: readonly StoredRow[]; readonly cells: number; readonly bytes?: Uint8Array | undefined }
  >();
  private cells = 0;

  /** The default holds about 100,000 rows of a 10-column dataset: tens of MB. */
  constructor(readonly maxCells = 1_300_000) {}

  get(key: string): readonly StoredRow[] | undefined {
    return this.touch(key)?.rows;
  }

  /** The bytes `rows` were written as, when this process wrote the part. */
  getEncoded(key: string): { readonly rows: readonly StoredRow[]; readonly bytes: Uint8Array } | undefined {
    const entry = this.touch(key);
    return entry?.bytes ? { rows: entry.rows, bytes: entry.bytes } : undefined;
  }

  /** Keeps a part's rows, and the bytes they were encoded as when this process wrote them. */
  set(key: string, rows: readonly StoredRow[], bytes?: Uint8Array): void {
    const cells = rows.length * (Object.keys(rows[0]?.values ?? {}).length + 3);
    if (cells > this.maxCells) return;
    this.delete(key);
    this.entries.set(key, { rows, cells, bytes });
    this.cells += cells;
    for (const [oldest, entry] of this.entries) {
      if (this.cells <= this.maxCells) break;
      this.entries.delete(oldest);
      this.cells -= entry.cells;
    }
  }

  /** Cells held now. */
  get size(): number {
    return this.cells;
  }

  private touch(key: string) {
    const entry = this.entries.get(key);
    if (entry) {
      // Map keeps insertion order: re-inserting marks the entry most recently used.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.cells -= entry.cells;
  }
}

/**
 * The bytes of a window's compacted part when they are already at hand: the window holds one hot part
 * and no earlier compacted part, this process wrote that part, and compaction kept every one of its
 * rows in its order (no key repeated). Encoding is deterministic, so these are the bytes encoding the
 * winners again would give; undefined when they must be encoded.
 */
export function cachedEncoding(
  partCache: PartCache | undefined,
  parts: readonly string[],
  previousCompactedPart: string | undefined,
  winners: readonly StoredRow[],
): Uint8Array | undefined {
  if (parts.length !== 1 || previousCompactedPart !== undefined) return undefined;
  const written = partCache?.getEncoded(parts[0]!);
  if (written === undefined || written.rows.length !== winners.length) return undefined;
  for (let index = 0; index < winners.length; index++)
    if (written.rows[index] !== winners[index]) return undefined;
  return written.bytes;
}
