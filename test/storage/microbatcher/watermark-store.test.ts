import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers.js';
import { store } from './harness.js';

describe('WatermarkStore on DynamoDB', () => {
  it('never moves partition progress, the watermark or sealedThrough backwards, whatever the write order', async () => {
    // Prepare: 24 writers racing on one partition with shuffled offsets and event times.
    const dataset = uniqueName('it-mb-store');
    const writes = Array.from({ length: 24 }, (_, index) => ({
      nextOffset: 10 + ((index * 7) % 24),
      maxEventTime: 1_000 + ((index * 11) % 24),
    }));

    // Act
    await Promise.all(
      writes.map((write, index) =>
        store.recordPartitionProgress(dataset, { topic: 't', partition: 0, updatedAt: index, ...write }),
      ),
    );
    const watermarks = await Promise.all(
      writes.map((write) => store.advanceWatermark(dataset, write.maxEventTime, 0)),
    );
    const stale = await store.recordPartitionProgress(dataset, {
      topic: 't',
      partition: 0,
      nextOffset: 5,
      maxEventTime: 1,
      updatedAt: 99,
    });
    await store.advanceSealedThrough(dataset, 500, 0);
    const sealed = await store.advanceSealedThrough(dataset, 400, 0);

    // Assess
    const partition = await store.getPartition(dataset, 't', 0);
    expect(partition).toMatchObject({ nextOffset: 33, maxEventTime: 1_023 });
    expect(stale).toBe(false);
    expect((await store.getDatasetWatermark(dataset)).watermark).toBe(1_023);
    expect(watermarks.every((item) => (item.watermark ?? 0) >= 1_000)).toBe(true);
    expect(sealed).toBe(500);

    // In a fixed order: a lower offset with a newer event time still raises the event time.
    const ordered = uniqueName('it-mb-store');
    const write = (nextOffset: number, maxEventTime: number, updatedAt: number) =>
      store.recordPartitionProgress(ordered, {
        topic: 't',
        partition: 0,
        nextOffset,
        maxEventTime,
        updatedAt,
      });
    expect(await write(33, 1_019, 1)).toBe(true);
    expect(await write(29, 1_023, 2)).toBe(true);
    expect(await write(20, 1_000, 3)).toBe(false);
    expect(await store.getPartition(ordered, 't', 0)).toMatchObject({
      nextOffset: 33,
      maxEventTime: 1_023,
      updatedAt: 2,
    });
  });

  it('adds a window part once however often it is added, and publishes a manifest version once', async () => {
    const dataset = uniqueName('it-mb-store');
    const first = await store.addWindowPart(dataset, 60_000, 'a');
    const again = await store.addWindowPart(dataset, 60_000, 'a');
    await store.addWindowPart(dataset, 60_000, 'b');
    expect(first).toBeUndefined();
    expect(again?.parts).toEqual(['a']);

    const seal = { expectedVersion: 0, manifestKey: 'm1', partsHash: 'h', partCount: 2 };
    const results = await Promise.all([
      store.commitWindowSeal(dataset, 60_000, seal),
      store.commitWindowSeal(dataset, 60_000, seal),
    ]);
    expect(results.sort()).toEqual([false, true]);
    expect(await store.getWindow(dataset, 60_000)).toMatchObject({
      parts: ['a', 'b'],
      manifestVersion: 1,
      sealedPartCount: 2,
    });
    const lease = (owner: string, now: number, windowStart = 60_000) =>
      store.leaseWindow(dataset, windowStart, owner, now, 1_000);
    // Published but not finished (symlink manifests, tags): a sealer still has work, so it leases.
    expect(await lease('x', 0)).toMatchObject({
      outcome: 'leased',
      window: { manifestVersion: 1, finishedVersion: 0 },
    });
    await store.finishWindowSeal(dataset, 60_000, 1, 'x');
    // Nothing to seal: no lease. A new part: the lease returns the window; another owner waits it out.
    expect(await lease('x', 0)).toEqual({ outcome: 'nothing-to-seal' });
    expect(await lease('x', 0, 120_000)).toEqual({ outcome: 'nothing-to-seal' });
    await store.addWindowPart(dataset, 60_000, 'c');
    const window = { parts: ['a', 'b', 'c'], manifestVersion: 1, sealedPartCount: 2 };
    expect(await lease('x', 0)).toMatchObject({ outcome: 'leased', window });
    expect(await lease('y', 500)).toMatchObject({ outcome: 'held-by-other', window });
    expect(await lease('x', 500)).toMatchObject({ outcome: 'leased' });
    expect(await lease('y', 1_499)).toMatchObject({ outcome: 'held-by-other' });
    expect(await lease('y', 1_501)).toMatchObject({ outcome: 'leased', window });
  });

  it('moves finishedVersion only forward and releases only the lease of the finisher', async () => {
    // Prepare: version 2 published by y, whose lease the late finisher x of version 1 must not end.
    const dataset = uniqueName('it-mb-store');
    await store.addWindowPart(dataset, 60_000, 'a');
    const commit = (expectedVersion: number, partCount: number) =>
      store.commitWindowSeal(dataset, 60_000, {
        expectedVersion,
        manifestKey: `m${expectedVersion + 1}`,
        partsHash: 'h',
        partCount,
      });
    expect(await commit(0, 1)).toBe(true);
    await store.addWindowPart(dataset, 60_000, 'b');
    expect(await store.leaseWindow(dataset, 60_000, 'y', 0, 1_000)).toMatchObject({ outcome: 'leased' });
    expect(await commit(1, 2)).toBe(true);

    // Act
    await store.finishWindowSeal(dataset, 60_000, 1, 'x');
    const afterLateFinisher = await store.leaseWindow(dataset, 60_000, 'z', 500, 1_000);
    await store.finishWindowSeal(dataset, 60_000, 2, 'y');
    await store.finishWindowSeal(dataset, 60_000, 1, 'x');

    // Assess
    expect(afterLateFinisher).toMatchObject({ outcome: 'held-by-other', window: { finishedVersion: 1 } });
    expect(await store.getWindow(dataset, 60_000)).toMatchObject({ manifestVersion: 2, finishedVersion: 2 });
    expect(await store.leaseWindow(dataset, 60_000, 'z', 500, 1_000)).toEqual({ outcome: 'nothing-to-seal' });
  });
});
