import {
  decodeParquetColumns,
  encodeParquet,
  encodeParquetColumns,
  type ParquetColumn,
  ParquetDecodeError,
  type ParquetValue,
} from '@apphub/parquet';
import { windowStartOf } from '@apphub/watermarks';
import type { DatasetDescriptor } from './descriptor.js';
import { hotPartKey, partitionPath } from './layout.js';
import type { DatasetRow } from './records.js';

/** Rows of one Kafka partition that fall into one window and one partition-key cell. */
export interface HotPart {
  readonly key: string;
  readonly windowStart: number;
  readonly cellPath: string;
  readonly partition: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly rows: readonly DatasetRow[];
}

/** A row as stored in a hot part: enough to replay upserts in offset order. */
export interface StoredRow {
  readonly partition: number;
  readonly offset: number;
  readonly deleted: boolean;
  readonly values: Readonly<Record<string, ParquetValue>>;
}

/** Lineage columns of hot parts; schema names start with a letter, so they cannot collide. */
const lineageColumns: readonly ParquetColumn[] = [
  { name: '_kafka_partition', type: 'int32', nullable: false },
  { name: '_kafka_offset', type: 'int64', nullable: false },
  { name: '_deleted', type: 'boolean', nullable: false },
];

/**
 * Groups rows by window, partition-key cell and Kafka partition. Each group becomes one part whose
 * key names its offset range, so the same records always land in the same object. A part's rows are
 * in upsert-key order (offset order within a key), the order compaction gives its winners: a part
 * without repeated keys is then its own compaction, and its encoding can be reused (cachedEncoding).
 */
export function groupIntoParts(descriptor: DatasetDescriptor, rows: readonly DatasetRow[]): HotPart[] {
  const groups = new Map<
    string,
    { windowStart: number; cellPath: string; partition: number; rows: DatasetRow[] }
  >();
  let last: { windowStart: number; cellPath: string; partition: number; rows: DatasetRow[] } | undefined;
  for (const row of rows) {
    const windowStart = windowStartOf(row.eventTime, descriptor.windowDuration);
    const cellPath =
      descriptor.partitionKeys.length === 0 ? '' : partitionPath(descriptor.partitionKeys, row.values);
    // Records come in runs of one window and cell: those skip the key and the map.
    if (last?.windowStart !== windowStart || last.cellPath !== cellPath || last.partition !== row.partition) {
      const id = `${windowStart}|${cellPath}|${row.partition}`;
      last = groups.get(id) ?? { windowStart, cellPath, partition: row.partition, rows: [] };
      groups.set(id, last);
    }
    last.rows.push(row);
  }
  return [...groups.values()].map((group) => {
    let firstOffset = Number.POSITIVE_INFINITY;
    let lastOffset = Number.NEGATIVE_INFINITY;
    for (const row of group.rows) {
      firstOffset = Math.min(firstOffset, row.offset);
      lastOffset = Math.max(lastOffset, row.offset);
    }
    return {
      key: hotPartKey(descriptor, group.windowStart, group.cellPath, {
        topic: descriptor.topic,
        partition: group.partition,
        firstOffset,
        lastOffset,
      }),
      windowStart: group.windowStart,
      cellPath: group.cellPath,
      partition: group.partition,
      firstOffset,
      lastOffset,
      rows: group.rows.sort(
        (a, b) => compareUpsertKeys(descriptor, a.values, b.values) || a.offset - b.offset,
      ),
    };
  });
}

/** Columns of a hot part: every schema field nullable (tombstones carry only key fields) + lineage. */
function hotColumns(descriptor: DatasetDescriptor): ParquetColumn[] {
  return [...descriptor.schema.fields.map((field) => ({ ...field, nullable: true })), ...lineageColumns];
}

/** A hot part's Parquet bytes: the schema's fields, all nullable, then the lineage columns. */
export function encodeHotPart(descriptor: DatasetDescriptor, rows: readonly StoredRow[]): Uint8Array {
  return encodeParquetColumns(hotColumns(descriptor), rows.length, (column, index) => {
    const row = rows[index]!;
    if (column === '_kafka_partition') return row.partition;
    if (column === '_kafka_offset') return BigInt(row.offset);
    if (column === '_deleted') return row.deleted;
    return row.values[column];
  });
}

/**
 * A hot or compacted part's rows in the descriptor's schema: a field the part was written without
 * (added since, nullable) reads as null, a widened field as its new type. A part with a column the
 * descriptor does not have was written under a newer schema than this process runs; reading it
 * would drop that column's values from the next seal, so it fails instead.
 */
export function decodeHotPart(descriptor: DatasetDescriptor, bytes: Uint8Array): StoredRow[] {
  const expected = hotColumns(descriptor);
  const { length, readValue, stored } = decodeParquetColumns(bytes, expected);
  const known = new Set(expected.map((column) => column.name));
  const unknown = stored.filter((column) => !known.has(column.name));
  if (unknown.length > 0) {
    throw new ParquetDecodeError(
      `the part has column ${unknown[0]!.name} (${unknown[0]!.type}), which dataset ${descriptor.dataset}'s schema does not: it was written under a newer schema than this process runs`,
    );
  }
  const names = descriptor.schema.fields.map((field) => field.name);
  const rows: StoredRow[] = new Array(length);
  for (let index = 0; index < length; index++) {
    const values: Record<string, ParquetValue> = {};
    for (const name of names) values[name] = readValue(name, index);
    rows[index] = {
      partition: readValue('_kafka_partition', index) as number,
      offset: Number(readValue('_kafka_offset', index)),
      deleted: readValue('_deleted', index) === true,
      values,
    };
  }
  return rows;
}

/** Sealed files hold the schema's columns only, with the declared nullability. */
export function encodeSealedFile(
  descriptor: DatasetDescriptor,
  rows: readonly Readonly<Record<string, ParquetValue>>[],
): Uint8Array {
  return encodeParquet(descriptor.schema.fields, rows);
}

/**
 * The identity of a row under upsert semantics, as a Map key: each key field tagged with its type,
 * strings length-prefixed, so two different keys never encode alike. Much cheaper than JSON.
 */
export function upsertKeyOf(
  descriptor: DatasetDescriptor,
  values: Readonly<Record<string, ParquetValue>>,
): string {
  let key = '';
  for (const name of descriptor.upsertKey) {
    const value = values[name];
    if (typeof value === 'string') key += `s${value.length}:${value}|`;
    else if (typeof value === 'number') key += `n${value}|`;
    else if (typeof value === 'bigint') key += `i${value}|`;
    else if (typeof value === 'boolean') key += value ? 't|' : 'f|';
    else key += 'z|';
  }
  return key;
}

/** Orders rows by their upsert key fields in natural order (null first), field by field. */
export function compareUpsertKeys(
  descriptor: DatasetDescriptor,
  a: Readonly<Record<string, ParquetValue>>,
  b: Readonly<Record<string, ParquetValue>>,
): number {
  for (const name of descriptor.upsertKey) {
    const left = a[name];
    const right = b[name];
    if (left === right) continue;
    if (left === null || left === undefined) return -1;
    if (right === null || right === undefined) return 1;
    if (left < right) return -1;
    if (left > right) return 1;
  }
  return 0;
}

/** The outcome of applying upserts to a set of stored rows. */
export interface LatestRecords {
  /** The winning row per upsert key, tombstones included, sorted by key. */
  readonly rows: StoredRow[];
  /**
   * Keys with rows from more than one Kafka partition. Offsets order the records of one partition
   * only, so for these keys "newest" is the highest offset: deterministic, but arbitrary.
   */
  readonly keysOnSeveralPartitions: number;
}

/**
 * Applies upserts: per key the row with the highest offset wins (partition breaks a tie, so the
 * result never depends on read order; equal offset and partition is the same record). Picking a
 * maximum is associative, so the winners of (winners of A) plus B equal the winners of A plus B:
 * a re-seal from a compacted part plus new parts gives what compacting every part again would.
 * Tombstones stay among the winners, so an older record read later cannot bring a deleted key back.
 */
export function latestRecords(descriptor: DatasetDescriptor, rows: readonly StoredRow[]): LatestRecords {
  // The common seal (one hot part, sorted by groupIntoParts, no key twice) is its own result: the
  // general path below would return the same rows in the same order, after building a key per row.
  if (isStrictlyIncreasing(descriptor, rows)) return { rows: [...rows], keysOnSeveralPartitions: 0 };
  const latest = new Map<string, StoredRow>();
  const severalPartitions = new Set<string>();
  for (const row of rows) {
    const key = upsertKeyOf(descriptor, row.values);
    const current = latest.get(key);
    if (current && row.partition !== current.partition) severalPartitions.add(key);
    if (
      !current ||
      row.offset > current.offset ||
      (row.offset === current.offset && row.partition > current.partition)
    ) {
      latest.set(key, row);
    }
  }
  return {
    rows: [...latest.values()].sort((a, b) => compareUpsertKeys(descriptor, a.values, b.values)),
    keysOnSeveralPartitions: severalPartitions.size,
  };
}

/**
 * Whether every row's upsert key is strictly greater than the one before (null and undefined count
 * as one value, the lowest, as upsertKeyOf and compareUpsertKeys treat them): then no key repeats.
 * Values that do not compare (NaN, mixed types) answer false, leaving them to the general path.
 */
function isStrictlyIncreasing(descriptor: DatasetDescriptor, rows: readonly StoredRow[]): boolean {
  for (let index = 1; index < rows.length; index++) {
    const before = rows[index - 1]!.values;
    const after = rows[index]!.values;
    let increasing = false;
    for (const name of descriptor.upsertKey) {
      const left = before[name] ?? null;
      const right = after[name] ?? null;
      if (left === right) continue;
      increasing = left === null || (right !== null && left < right);
      break;
    }
    if (!increasing) return false;
  }
  return true;
}

/**
 * The rows a reader sees: the latest row per key (latestRecords) without tombstones, sorted by key.
 * The same input set always gives the same rows in the same order, hence the same bytes.
 */
export function compactRows(
  descriptor: DatasetDescriptor,
  rows: readonly StoredRow[],
): Readonly<Record<string, ParquetValue>>[] {
  return liveValues(latestRecords(descriptor, rows).rows);
}

/** The values of the rows that are not tombstones, in their order. */
export function liveValues(rows: readonly StoredRow[]): Readonly<Record<string, ParquetValue>>[] {
  const kept: Readonly<Record<string, ParquetValue>>[] = [];
  for (const row of rows) if (!row.deleted) kept.push(row.values);
  return kept;
}
