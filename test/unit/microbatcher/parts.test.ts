import {
  cachedEncoding,
  compactRows,
  compareUpsertKeys,
  decodeHotPart,
  encodeHotPart,
  groupIntoParts,
  hashParts,
  latestRecords,
  PartCache,
  parseDatasetDescriptor,
  partitionPath,
  type StoredRow,
  sampleBatcherDescriptor,
  upsertKeyOf,
  windowLabel,
} from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';

const descriptor = parseDatasetDescriptor({ ...sampleBatcherDescriptor, partitionKeys: ['user_id'] });
const at = (minute: number) => Date.UTC(2026, 10, 29, 10, minute);
const row = (
  partition: number,
  offset: number,
  user: string,
  minute: number,
  count: number | null,
  deleted = false,
) => ({
  partition,
  offset,
  eventTime: at(minute),
  deleted,
  values: {
    user_id: user,
    window_start: at(minute),
    window_end: deleted ? null : at(minute + 1),
    event_count: count === null ? null : BigInt(count),
    total_value: count === null ? null : (count * 1.5).toFixed(9),
  },
});

describe('groupIntoParts', () => {
  it('groups by window, partition-key cell and Kafka partition with keys from the offset range', () => {
    const parts = groupIntoParts(descriptor, [
      row(0, 7, 'a', 1, 1),
      row(0, 5, 'a', 2, 2),
      row(1, 3, 'a', 3, 3),
      row(0, 9, 'b/c', 11, 4),
    ]);
    expect(parts.map((part) => part.key)).toEqual([
      'streaming/user-activity-1m/hot/window=20261129T100000Z/user_id=a/part-apphub.streaming.aggregates+0+00000000000000000005+00000000000000000007.parquet',
      'streaming/user-activity-1m/hot/window=20261129T100000Z/user_id=a/part-apphub.streaming.aggregates+1+00000000000000000003+00000000000000000003.parquet',
      'streaming/user-activity-1m/hot/window=20261129T101000Z/user_id=b%2Fc/part-apphub.streaming.aggregates+0+00000000000000000009+00000000000000000009.parquet',
    ]);
    // Upsert-key order (user, then window start), as compaction orders its winners.
    expect(parts[0]?.rows.map((stored) => stored.offset)).toEqual([7, 5]);
  });

  it('puts a group that comes back after another into the part it started', () => {
    // Prepare: Kafka partitions and windows interleaved, without partition keys.
    const unpartitioned = parseDatasetDescriptor(sampleBatcherDescriptor);
    const rows = [row(0, 1, 'a', 1, 1), row(1, 1, 'b', 1, 1), row(0, 2, 'c', 1, 1), row(0, 3, 'd', 12, 1)];

    // Act
    const parts = groupIntoParts(unpartitioned, [...rows, row(1, 2, 'e', 2, 1), row(0, 4, 'f', 13, 1)]);

    // Assess
    expect(
      parts.map((part) => [part.partition, part.cellPath, part.rows.map((stored) => stored.offset)]),
    ).toEqual([
      [0, '', [1, 2]],
      [1, '', [1, 2]],
      [0, '', [3, 4]],
    ]);
  });

  it('labels windows and escapes Hive values so keys stay one segment per value', () => {
    expect(windowLabel(at(0))).toBe('20261129T100000Z');
    expect(partitionPath(['k', 'n'], { k: 'x=y', n: null })).toBe('k=x%3Dy/n=__HIVE_DEFAULT_PARTITION__');
    expect(hashParts('r/d', ['r/d/b', 'r/d/a'])).toBe(hashParts('r/d', ['r/d/a', 'r/d/b']));
    expect(hashParts('r/d', ['r/d/a'])).toBe(hashParts('s/e', ['s/e/a']));
  });
});

describe('hot parts and compaction', () => {
  it('round-trips rows with lineage through a hot part, tombstones included', () => {
    const rows: StoredRow[] = [row(0, 1, 'a', 1, 3), row(0, 2, 'a', 1, null, true)];
    expect(decodeHotPart(descriptor, encodeHotPart(descriptor, rows))).toEqual(
      rows.map(({ partition, offset, deleted, values }) => ({ partition, offset, deleted, values })),
    );
  });

  it('keeps the latest offset per key, applies tombstones, and ignores delivery order and duplicates', () => {
    const rows: StoredRow[] = [
      row(0, 4, 'a', 1, 5),
      row(0, 2, 'a', 1, 1),
      row(0, 4, 'a', 1, 5),
      row(1, 3, 'b', 1, 2),
      row(1, 8, 'b', 1, null, true),
      row(2, 1, 'c', 2, 7),
      row(1, 2, 'b', 2, 9),
    ];
    const forward = compactRows(descriptor, rows);
    expect(forward.map((values) => [values.user_id, values.window_start, values.event_count])).toEqual([
      ['a', at(1), 5n],
      ['b', at(2), 9n],
      ['c', at(2), 7n],
    ]);
    expect(compactRows(descriptor, [...rows].reverse())).toEqual(forward);
  });

  it('never gives two different keys the same identity, and orders keys naturally with null first', () => {
    const pair = parseDatasetDescriptor({
      ...sampleBatcherDescriptor,
      upsertKey: ['user_id', 'event_count'],
    });
    const keys = [
      { user_id: 'a|b', event_count: 1n },
      { user_id: 'a', event_count: 1n },
      { user_id: 'a|', event_count: 1n },
      { user_id: '1', event_count: null },
      { user_id: 'null', event_count: null },
      { user_id: null, event_count: 1n },
      { user_id: 's1:a', event_count: 1n },
    ];
    const identities = keys.map((values) => upsertKeyOf(pair, values));
    expect(new Set(identities).size).toBe(keys.length);
    expect(upsertKeyOf(pair, { user_id: 'a', event_count: 1n, total_value: 2 })).toBe(identities[1]);

    const sorted = [...keys].sort((a, b) => compareUpsertKeys(pair, a, b));
    expect(sorted.map((values) => values.user_id)).toEqual([null, '1', 'a', 'a|', 'a|b', 'null', 's1:a']);
    expect(
      compareUpsertKeys(pair, { user_id: 'a', event_count: 2n }, { user_id: 'a', event_count: 10n }),
    ).toBe(-1);
  });
});

describe('cachedEncoding: a window of one hot part is not encoded twice', () => {
  // One user per row except the repeat: minutes 1-3 of one window, written in offset order.
  const records = [
    row(0, 10, 'c', 2, 3),
    row(0, 11, 'a', 3, 1),
    row(0, 12, 'b', 1, 2),
    row(0, 13, 'a', 2, 4),
  ];

  // Without partition keys, so that one window is one part.
  const unpartitioned = parseDatasetDescriptor(sampleBatcherDescriptor);
  const written = (rows: ReturnType<typeof row>[]) => {
    const [part] = groupIntoParts(unpartitioned, rows);
    const bytes = encodeHotPart(descriptor, part!.rows);
    const cache = new PartCache();
    cache.set(part!.key, part!.rows, bytes);
    return { part: part!, bytes, cache };
  };

  it('reuses the written bytes when compaction keeps every row, and they equal encoding the winners', () => {
    // Prepare
    const { part, bytes, cache } = written(records);
    const winners = latestRecords(descriptor, [...part.rows]).rows;

    // Act
    const reused = cachedEncoding(cache, [part.key], undefined, winners);

    // Assess: byte for byte what sealing without the cache writes.
    expect(reused).toBe(bytes);
    expect(reused).toEqual(encodeHotPart(descriptor, winners));
  });

  it('encodes again when a key repeats, an earlier compacted part counts, or the window has several parts', () => {
    // Prepare
    const { part, cache } = written([...records, row(0, 14, 'b', 1, 9)]);
    const winners = latestRecords(descriptor, [...part.rows]).rows;
    const unique = written(records);
    const uniqueWinners = latestRecords(descriptor, [...unique.part.rows]).rows;

    // Act / Assess
    expect(cachedEncoding(cache, [part.key], undefined, winners)).toBeUndefined();
    expect(
      cachedEncoding(unique.cache, [unique.part.key], 'compacted.parquet', uniqueWinners),
    ).toBeUndefined();
    expect(
      cachedEncoding(unique.cache, [unique.part.key, 'other'], undefined, uniqueWinners),
    ).toBeUndefined();
    expect(cachedEncoding(new PartCache(), [unique.part.key], undefined, uniqueWinners)).toBeUndefined();
  });
});
