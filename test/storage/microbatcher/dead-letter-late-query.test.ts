import {
  datasetRoot,
  processKafkaEvent,
  queryDataset,
  sealDueWindows,
  windowManifestSchema,
} from '@apphub/microbatcher';
import { parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import {
  aggregate,
  base,
  datasetSeries,
  iso,
  lake,
  minute,
  mskEvent,
  snapshotObjects,
  store,
  testContext,
  testDescriptor,
  toArrayBuffer,
} from './harness.js';

describe('micro-batcher dead letters, late data and hybrid reads', () => {
  it('keeps poison records in the dead-letter prefix with their reasons while the rest of the batch proceeds', async () => {
    // Prepare
    const descriptor = testDescriptor();
    const { context, logs, emf } = testContext([descriptor]);
    const topic = descriptor.topic;
    const good = aggregate(topic, 0, 10, 'u-001', 0, 3);
    const notJson = { ...good, offset: 11, value: Buffer.from([0xff, 0x00, 0x7b]) };
    const badTime = {
      ...good,
      offset: 12,
      value: Buffer.from(
        JSON.stringify({
          user_id: 'u-002',
          window_start: 'soon',
          window_end: iso(base),
          event_count: 1,
          total_value: 1,
        }),
      ),
    };
    const badType = {
      ...good,
      offset: 13,
      value: Buffer.from(
        JSON.stringify({
          user_id: 'u-003',
          window_start: iso(base),
          window_end: iso(base),
          event_count: 1.5,
          total_value: 1,
        }),
      ),
      headers: [{ name: 'trace', value: Buffer.from('t-1') }],
    };

    // Act
    const summary = await processKafkaEvent(context, mskEvent([good, notJson, badTime, badType]));

    // Assess
    expect(summary[descriptor.dataset]).toMatchObject({ records: 4, deadLetters: 3, partsWritten: 1 });
    const letters = await snapshotObjects(`${datasetRoot(descriptor)}/dead-letter/`);
    const parsed = Object.fromEntries(
      Object.entries(letters).map(([key, body]) => [
        key,
        JSON.parse(Buffer.from(body, 'base64').toString('utf8')),
      ]),
    );
    expect(Object.keys(parsed).sort()).toEqual([
      `topic=${topic}/partition=0/offset=00000000000000000011.json`,
      `topic=${topic}/partition=0/offset=00000000000000000012.json`,
      `topic=${topic}/partition=0/offset=00000000000000000013.json`,
    ]);
    const [first, second, third] = Object.keys(parsed)
      .sort()
      .map((key) => parsed[key]);
    expect(first).toMatchObject({ dataset: descriptor.dataset, topic, partition: 0, offset: 11 });
    expect(first.reason).toMatch(/^value is not JSON: /);
    expect(Buffer.from(first.value, 'base64')).toEqual(Buffer.from([0xff, 0x00, 0x7b]));
    expect(second.reason).toBe('value field window_start: expected timestamp, got string "soon"');
    expect(third).toMatchObject({
      reason: 'value field event_count: expected int64, got number 1.5',
      headers: [{ name: 'trace', value: Buffer.from('t-1').toString('base64') }],
    });
    expect(Buffer.from(third.key, 'base64').toString()).toBe(good.key.toString());
    const deadLines = logs.filter((line) => line.message === 'record dead-lettered');
    expect(deadLines.map((line) => line.offset as number).sort()).toEqual([11, 12, 13]);
    expect(deadLines[0]).toMatchObject({ level: 'WARN', dataset: descriptor.dataset, topic, partition: 0 });
    expect(datasetSeries(emf, descriptor.dataset, ['RecordsProcessed', 'DeadLetterRecords'])).toEqual([
      ['RecordsProcessed', 4],
      ['DeadLetterRecords', 3],
    ]);
    expect((await store.partitions.get(descriptor.dataset, topic, 0))?.nextOffset).toBe(14);
  });

  it('re-seals a window with a new manifest version when a late record arrives, and counts it', async () => {
    // Prepare: window 0 sealed by records of minute 2 on the only partition.
    const descriptor = testDescriptor();
    const { context, emf } = testContext([descriptor]);
    const topic = descriptor.topic;
    await processKafkaEvent(
      context,
      mskEvent([
        aggregate(topic, 0, 0, 'u-001', 0, 1),
        aggregate(topic, 0, 1, 'u-002', 0, 2),
        aggregate(topic, 0, 2, 'u-001', 2, 5),
      ]),
    );
    const sealedOnce = await store.windows.get(descriptor.dataset, base);
    expect(sealedOnce).toMatchObject({ manifestVersion: 1, sealedPartCount: 1 });

    // Act: an updated aggregate and a tombstone for window 0 arrive after it sealed.
    const late = await processKafkaEvent(
      context,
      mskEvent([aggregate(topic, 0, 3, 'u-001', 0, 9), aggregate(topic, 0, 4, 'u-002', 0, null)]),
    );

    // Assess
    expect(late[descriptor.dataset]).toMatchObject({ lateRecords: 2, windowsSealed: 1 });
    const resealed = await store.windows.get(descriptor.dataset, base);
    expect(resealed).toMatchObject({ manifestVersion: 2, sealedPartCount: 2 });
    expect(resealed?.manifestKey).not.toBe(sealedOnce?.manifestKey);
    const manifest = await lake.getJson(resealed!.manifestKey!, windowManifestSchema);
    expect(manifest).toMatchObject({ version: 2, rowCount: 1 });
    const rows = await parquetReadObjects({ file: toArrayBuffer(await lake.get(manifest.files[0]!.key)) });
    expect(rows.map((row) => [row.user_id, row.event_count])).toEqual([['u-001', 9n]]);
    const previous = await lake.getJson(sealedOnce!.manifestKey!, windowManifestSchema);
    expect(previous.version).toBe(1);
    // Two calls, and only the second counts late records.
    expect(datasetSeries(emf, descriptor.dataset, ['RecordsProcessed', 'LateRecords'])).toEqual([
      ['RecordsProcessed', 3],
      ['RecordsProcessed', 2],
      ['LateRecords', 2],
    ]);
  });

  it('reads sealed windows from manifests and hot windows from deduplicated parts, each row marked', async () => {
    // Prepare: windows 0 and 1 sealed, window 2 hot with a re-emitted aggregate.
    const descriptor = testDescriptor();
    const { context } = testContext([descriptor]);
    const topic = descriptor.topic;
    await processKafkaEvent(
      context,
      mskEvent([
        aggregate(topic, 0, 0, 'u-001', 0, 1),
        aggregate(topic, 0, 1, 'u-001', 1, 2),
        aggregate(topic, 0, 2, 'u-001', 2, 3),
        aggregate(topic, 0, 3, 'u-001', 2, 4),
      ]),
    );

    // Act
    const result = await queryDataset(context, descriptor, { from: base, to: base + 3 * minute });
    const narrow = await queryDataset(context, descriptor, { from: base + minute, to: base + 2 * minute });

    // Assess
    expect(result.watermark).toBe(base + 2 * minute);
    expect(
      result.rows.map((row) => [row.status, iso(row.values.window_start as number), row.values.event_count]),
    ).toEqual([
      ['sealed', '2026-11-29T10:00:00.000Z', 1n],
      ['sealed', '2026-11-29T10:01:00.000Z', 2n],
      ['hot', '2026-11-29T10:02:00.000Z', 4n],
    ]);
    expect(narrow.rows.map((row) => row.values.event_count)).toEqual([2n]);
    await expect(queryDataset(context, descriptor, { from: base, to: base })).rejects.toThrow(
      /query range is empty/,
    );
  });

  it('seals the last window once every partition has been idle for the idle timeout', async () => {
    // Prepare
    const descriptor = testDescriptor({ idleTimeout: '30 s' });
    const start = Date.now();
    const { context } = testContext([descriptor], { now: () => start });
    await processKafkaEvent(context, mskEvent([aggregate(descriptor.topic, 0, 0, 'u-001', 5, 1)]));
    expect((await store.windows.get(descriptor.dataset, base + 5 * minute))?.manifestVersion).toBe(0);

    // Act
    const early = await sealDueWindows(context, descriptor, { now: start + 29_000 });
    const idle = await sealDueWindows(context, descriptor, { now: start + 31_000 });

    // Assess
    expect(early.windowsSealed).toBe(0);
    expect(idle).toMatchObject({
      windowsSealed: 1,
      watermark: base + 6 * minute,
      sealedThrough: base + 6 * minute,
    });
    const rows = await queryDataset(context, descriptor, { from: base, to: base + 10 * minute });
    expect(rows.rows.map((row) => row.status)).toEqual(['sealed']);
  });
});
