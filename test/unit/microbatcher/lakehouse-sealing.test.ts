import {
  compactedPartKey,
  compactRows,
  decideSymlinkWrite,
  decodeHotPart,
  encodeHotPart,
  latestRecords,
  parseDatasetDescriptor,
  SEALED_PART_TAG,
  type StoredRow,
  sampleBatcherDescriptor,
  symlinkManifestKey,
  symlinkManifests,
  symlinkRoot,
} from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';
import { lakehouseTableInput } from '../../../cdk/lib/lakehouse.js';
import { SEALED_PART_TAG as lifecycleTag } from '../../../cdk/lib/stacks/storage-stack.js';

const descriptor = parseDatasetDescriptor({ ...sampleBatcherDescriptor, partitionKeys: ['user_id'] });
const at = (minute: number) => Date.UTC(2026, 10, 29, 10, minute);
const row = (partition: number, offset: number, user: string, count: number | null): StoredRow => ({
  partition,
  offset,
  deleted: count === null,
  values: {
    user_id: user,
    window_start: at(0),
    window_end: count === null ? null : at(10),
    event_count: count === null ? null : BigInt(count),
    total_value: count === null ? null : (count * 1.5).toFixed(9),
  },
});

describe('latestRecords: a re-seal from the compacted part equals compacting every part again', () => {
  // Records of three batches of one partition, a replayed older batch among them, and duplicates.
  const batches: StoredRow[][] = [
    [row(0, 0, 'a', 1), row(0, 1, 'b', 7), row(0, 2, 'c', 3)],
    [row(0, 4, 'a', 2), row(0, 5, 'b', null), row(0, 6, 'd', 9)],
    [row(0, 3, 'b', 6), row(0, 1, 'b', 7)],
    [row(0, 7, 'c', null), row(0, 8, 'e', 5), row(0, 4, 'a', 2)],
  ];

  it('gives the same winners, in the same order, whether it folds batch by batch or compacts all at once', () => {
    // Prepare
    const all = batches.flat();

    // Act: each step starts from the previous step's winners, as they come back from a compacted part.
    let compacted: StoredRow[] = [];
    for (const batch of batches) {
      const winners = latestRecords(descriptor, [...compacted, ...batch]).rows;
      compacted = decodeHotPart(descriptor, encodeHotPart(descriptor, winners));
    }

    // Assess
    const once = latestRecords(descriptor, all).rows;
    expect(compacted).toEqual(once);
    expect(encodeHotPart(descriptor, compacted)).toEqual(encodeHotPart(descriptor, once));
    expect(once.map((stored) => [stored.values.user_id, stored.offset, stored.deleted])).toEqual([
      ['a', 4, false],
      ['b', 5, true],
      ['c', 7, true],
      ['d', 6, false],
      ['e', 8, false],
    ]);
    expect(compactRows(descriptor, all).map((values) => [values.user_id, values.event_count])).toEqual([
      ['a', 2n],
      ['d', 9n],
      ['e', 5n],
    ]);
  });

  it('returns rows already in strictly increasing key order as they are, the same objects in the same order', () => {
    // Prepare: one hot part as groupIntoParts sorts it, keys unique.
    const part = [row(0, 2, 'a', 1), row(0, 0, 'b', null), row(0, 1, 'c', 3)];

    // Act
    const result = latestRecords(descriptor, part);

    // Assess: the very objects (the compacted part's cached encoding is matched by identity).
    expect(result.rows).toHaveLength(3);
    for (const [index, stored] of result.rows.entries()) expect(stored).toBe(part[index]);
    expect(result.keysOnSeveralPartitions).toBe(0);
  });

  it('still folds keys that only look increasing: a null and a missing key field are one key', () => {
    // Prepare: user_id null, then absent (a row from an older part), then 'a'.
    const nullKey = { ...row(0, 1, 'x', 1), values: { ...row(0, 1, 'x', 1).values, user_id: null } };
    const { user_id: _absent, ...withoutUser } = row(0, 2, 'x', 2).values;
    const missingKey = { ...row(0, 2, 'x', 2), values: withoutUser };

    // Act
    const result = latestRecords(descriptor, [nullKey, missingKey, row(0, 3, 'a', 3)]);

    // Assess
    expect(result.rows.map((stored) => stored.offset)).toEqual([2, 3]);
  });

  it('keeps a tombstone, so a replayed older record cannot bring its key back', () => {
    const winners = latestRecords(descriptor, [row(0, 5, 'b', null)]).rows;
    expect(compactRows(descriptor, [...winners, row(0, 3, 'b', 6)])).toEqual([]);
    expect(
      compactRows(descriptor, [...winners, row(0, 9, 'b', 8)]).map((values) => values.event_count),
    ).toEqual([8n]);
  });

  it('counts keys whose records come from more than one Kafka partition, where offsets order nothing', () => {
    const outcome = latestRecords(descriptor, [
      row(0, 9, 'a', 1),
      row(1, 2, 'a', 2),
      row(1, 3, 'b', 1),
      row(1, 4, 'b', 2),
      row(2, 1, 'c', 1),
      row(0, 1, 'c', 2),
    ]);
    expect(outcome.keysOnSeveralPartitions).toBe(2);
    expect(outcome.rows.map((stored) => [stored.values.user_id, stored.partition, stored.offset])).toEqual([
      ['a', 0, 9],
      ['b', 1, 4],
      ['c', 2, 1],
    ]);
    expect(latestRecords(descriptor, batches.flat()).keysOnSeveralPartitions).toBe(0);
  });
});

describe('decideSymlinkWrite', () => {
  it('creates a missing manifest only while it is missing', () => {
    expect(decideSymlinkWrite(undefined, 1)).toEqual({ action: 'write', condition: { ifNoneMatch: '*' } });
    expect(decideSymlinkWrite(undefined, 4)).toEqual({ action: 'write', condition: { ifNoneMatch: '*' } });
  });

  it('replaces an older version only if it is still the object read, and never a newer or equal one', () => {
    expect(decideSymlinkWrite({ etag: '"e1"', version: 1 }, 2)).toEqual({
      action: 'write',
      condition: { ifMatch: '"e1"' },
    });
    expect(decideSymlinkWrite({ etag: '"e0"', version: 0 }, 1)).toMatchObject({ action: 'write' });
    expect(decideSymlinkWrite({ etag: '"e2"', version: 2 }, 2)).toEqual({ action: 'keep' });
    expect(decideSymlinkWrite({ etag: '"e3"', version: 3 }, 2)).toEqual({ action: 'keep' });
  });
});

describe('symlink manifests and the lakehouse layout', () => {
  const windowStart = at(0);
  const file = (cell: string, hash: string, rowCount = 1) => ({
    key: `streaming/user-activity-1m/sealed/window=20261129T100000Z/${cell}/data-${hash}.parquet`,
    partition: cell,
    rowCount,
  });

  it('writes one manifest per cell with one s3 URL per sealed file, an emptied cell included', () => {
    const manifests = symlinkManifests('lake', descriptor, {
      windowStart: new Date(windowStart).toISOString(),
      files: [file('user_id=b', 'h2', 0), file('user_id=a', 'h2')],
    });
    expect(manifests).toEqual([
      {
        key: 'streaming/user-activity-1m/symlinks/window=20261129T100000Z/user_id=a/manifest',
        body: 's3://lake/streaming/user-activity-1m/sealed/window=20261129T100000Z/user_id=a/data-h2.parquet\n',
      },
      {
        key: 'streaming/user-activity-1m/symlinks/window=20261129T100000Z/user_id=b/manifest',
        body: 's3://lake/streaming/user-activity-1m/sealed/window=20261129T100000Z/user_id=b/data-h2.parquet\n',
      },
    ]);
    const unpartitioned = parseDatasetDescriptor(sampleBatcherDescriptor);
    expect(symlinkManifestKey(unpartitioned, windowStart, '')).toBe(
      'streaming/user-activity-1m/symlinks/window=20261129T100000Z/manifest',
    );
    expect(compactedPartKey(unpartitioned, windowStart, 'h2')).toBe(
      'streaming/user-activity-1m/compacted/window=20261129T100000Z/part-h2.parquet',
    );
  });

  it('writes the symlink manifests where the Glue table looks for them', () => {
    // Prepare: the table's location template with this window and cell filled in, for a dataset of
    // its own (the sample dataset's committed schema history has no partition keys).
    const descriptor = parseDatasetDescriptor({
      ...sampleBatcherDescriptor,
      dataset: 'user-activity-by-user',
      partitionKeys: ['user_id'],
    });
    const table = lakehouseTableInput(descriptor, 'lake', new Date('2026-01-01T00:00:00Z'));
    const template = (table.parameters as Record<string, string>)['storage.location.template']!;

    // Act
    const values: Record<string, string> = { window: '20261129T100000Z', user_id: 'u%2F1' };
    const folder = template.replace(/\$\{(\w+)\}/g, (_, name: string) => values[name]!);

    // Assess
    expect(`${folder}manifest`).toBe(
      `s3://lake/${symlinkManifestKey(descriptor, windowStart, 'user_id=u%2F1')}`,
    );
    expect(folder.startsWith(`s3://lake/${symlinkRoot(descriptor)}/`)).toBe(true);
  });

  it('tags sealed hot parts with the tag the lifecycle rule expires them by', () => {
    expect(lifecycleTag).toBe(SEALED_PART_TAG);
    expect(SEALED_PART_TAG).toEqual({ key: 'apphub:sealed', value: 'true' });
  });
});
