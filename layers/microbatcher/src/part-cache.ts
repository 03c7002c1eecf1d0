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
    { readonly rows: readonly StoredRow[]; readonly cells: number }
  >();
  private cells = 0;

  /** The default holds about 100,000 rows of a 10-column dataset: tens of MB. */
  constructor(readonly maxCells = 1_300_000) {}

  get(key: string): readonly StoredRow[] | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      // Map keeps insertion order: re-inserting marks the entry most recently used.
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry?.rows;
  }

  set(key: string, rows: readonly StoredRow[]): void {
    const cells = rows.length * (Object.keys(rows[0]?.values ?? {}).length + 3);
    if (cells > this.maxCells) return;
    this.delete(key);
    this.entries.set(key, { rows, cells });
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

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.cells -= entry.cells;
  }
}
