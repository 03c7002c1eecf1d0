import type { StoredRow } from './parts.js';

/**
 * Rows of recently written hot parts, kept across invocations of a warm function so that sealing a
 * window does not read back from S3 the parts this process itself wrote. A part's key names its
 * topic, partition and offset range, so its content never changes: a cached entry cannot go stale.
 * Bounded by rows; the least recently used parts go first. A miss only costs the S3 read.
 */
export class PartCache {
  private readonly entries = new Map<string, readonly StoredRow[]>();
  private rows = 0;

  constructor(readonly maxRows = 100_000) {}

  get(key: string): readonly StoredRow[] | undefined {
    const rows = this.entries.get(key);
    if (rows) {
      // Map keeps insertion order: re-inserting marks the entry most recently used.
      this.entries.delete(key);
      this.entries.set(key, rows);
    }
    return rows;
  }

  set(key: string, rows: readonly StoredRow[]): void {
    if (rows.length > this.maxRows) return;
    this.delete(key);
    this.entries.set(key, rows);
    this.rows += rows.length;
    for (const [oldest, oldRows] of this.entries) {
      if (this.rows <= this.maxRows) break;
      this.entries.delete(oldest);
      this.rows -= oldRows.length;
    }
  }

  /** Rows held now. */
  get size(): number {
    return this.rows;
  }

  private delete(key: string): void {
    const rows = this.entries.get(key);
    if (!rows) return;
    this.entries.delete(key);
    this.rows -= rows.length;
  }
}
