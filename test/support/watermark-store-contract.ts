import { randomUUID } from 'node:crypto';
import type { WatermarkStore } from '@apphub/watermarks';
import { beforeEach, describe, expect, it } from 'vitest';

/** A dataset slug no other test (or run) uses, so the contract can run on a shared table. */
const uniqueDataset = () => `contract-${randomUUID().slice(0, 8)}`;

/**
 * The behaviour every WatermarkStore must have, whatever holds it: nothing moves backwards under any
 * write order, a part is added once, a manifest version is published once, leases are exclusive
 * until they expire. Runs against DynamoDB (the storage tests) and against the in-memory fake the
 * unit tests use, so the fake cannot drift from the real store unnoticed.
 */
export function describeWatermarkStoreContract(name: string, storeOf: () => WatermarkStore): void {
  describe(name, () => {
    let store: WatermarkStore;
    beforeEach(() => {
      store = storeOf();
    });

    it('never moves partition progress, the watermark or sealedThrough backwards, whatever the write order', async () => {
      // Prepare: 24 writers racing on one partition with shuffled offsets and event times.
      const dataset = uniqueDataset();
      const writes = Array.from({ length: 24 }, (_, index) => ({
        nextOffset: 10 + ((index * 7) % 24),
        maxEventTime: 1_000 + ((index * 11) % 24),
      }));

      // Act
      await Promise.all(
        writes.map((write, index) =>
          store.partitions.record(dataset, { topic: 't', partition: 0, updatedAt: index, ...write }),
        ),
      );
      const watermarks = await Promise.all(
        writes.map((write) => store.watermarks.advanceWatermark(dataset, write.maxEventTime, 0)),
      );
      const stale = await store.partitions.record(dataset, {
        topic: 't',
        partition: 0,
        nextOffset: 5,
        maxEventTime: 1,
        updatedAt: 99,
      });
      await store.watermarks.advanceSealedThrough(dataset, 500, 0);
      const sealed = await store.watermarks.advanceSealedThrough(dataset, 400, 0);

      // Assess
      const partition = await store.partitions.get(dataset, 't', 0);
      expect(partition).toMatchObject({ nextOffset: 33, maxEventTime: 1_023 });
      expect(stale).toBe(false);
      expect((await store.watermarks.get(dataset)).watermark).toBe(1_023);
      expect(watermarks.every((item) => (item.watermark ?? 0) >= 1_000)).toBe(true);
      expect(sealed).toBe(500);

      // In a fixed order: a lower offset with a newer event time still raises the event time.
      const ordered = uniqueDataset();
      const write = (nextOffset: number, maxEventTime: number, updatedAt: number) =>
        store.partitions.record(ordered, {
          topic: 't',
          partition: 0,
          nextOffset,
          maxEventTime,
          updatedAt,
        });
      expect(await write(33, 1_019, 1)).toBe(true);
      expect(await write(29, 1_023, 2)).toBe(true);
      expect(await write(20, 1_000, 3)).toBe(false);
      expect(await store.partitions.get(ordered, 't', 0)).toMatchObject({
        nextOffset: 33,
        maxEventTime: 1_023,
        updatedAt: 2,
      });
    });

    it('reads every partition and the watermark item together, and neither of another dataset', async () => {
      // Prepare
      const dataset = uniqueDataset();
      const other = uniqueDataset();
      const empty = await store.partitions.listWithWatermark(dataset);
      for (const partition of [1, 0])
        await store.partitions.record(dataset, {
          topic: 't',
          partition,
          nextOffset: 5 + partition,
          maxEventTime: 9_000 + partition,
          updatedAt: 1,
        });
      await store.watermarks.advanceWatermark(dataset, 8_000, 1);
      await store.watermarks.advanceSealedThrough(dataset, 6_000, 1);
      await store.windows.addPart(dataset, 60_000, 'a');
      await store.watermarks.advanceWatermark(other, 99_000, 1);

      // Act
      const read = await store.partitions.listWithWatermark(dataset);

      // Assess
      expect(empty).toEqual({ partitions: [], watermark: {} });
      expect(read.partitions).toEqual(await store.partitions.list(dataset));
      expect(read.partitions.map((progress) => progress.partition)).toEqual([0, 1]);
      expect(read.watermark).toEqual({ watermark: 8_000, sealedThrough: 6_000 });
    });

    it('adds a window part once however often it is added, and publishes a manifest version once', async () => {
      const dataset = uniqueDataset();
      const first = await store.windows.addPart(dataset, 60_000, 'a');
      const again = await store.windows.addPart(dataset, 60_000, 'a');
      await store.windows.addPart(dataset, 60_000, 'b');
      expect(first).toBeUndefined();
      expect(again?.parts).toEqual(['a']);

      const seal = { expectedVersion: 0, manifestKey: 'm1', partsHash: 'h', partCount: 2 };
      const results = await Promise.all([
        store.windows.commitSeal(dataset, 60_000, seal),
        store.windows.commitSeal(dataset, 60_000, seal),
      ]);
      expect(results.sort()).toEqual([false, true]);
      expect(await store.windows.get(dataset, 60_000)).toMatchObject({
        parts: ['a', 'b'],
        manifestVersion: 1,
        sealedPartCount: 2,
      });
      const lease = (owner: string, now: number, windowStart = 60_000) =>
        store.windows.lease(dataset, windowStart, owner, now, 1_000);
      // Published but not finished (symlink manifests, tags): a sealer still has work, so it leases.
      expect(await lease('x', 0)).toMatchObject({
        outcome: 'leased',
        window: { manifestVersion: 1, finishedVersion: 0 },
      });
      await store.windows.finishSeal(dataset, 60_000, 1, 'x');
      // Nothing to seal: no lease. A new part: the lease returns the window; another owner waits it out.
      expect(await lease('x', 0)).toEqual({ outcome: 'nothing-to-seal' });
      expect(await lease('x', 0, 120_000)).toEqual({ outcome: 'nothing-to-seal' });
      await store.windows.addPart(dataset, 60_000, 'c');
      const window = { parts: ['a', 'b', 'c'], manifestVersion: 1, sealedPartCount: 2 };
      expect(await lease('x', 0)).toMatchObject({ outcome: 'leased', window });
      expect(await lease('y', 500)).toMatchObject({ outcome: 'held-by-other', window });
      expect(await lease('x', 500)).toMatchObject({ outcome: 'leased' });
      expect(await lease('y', 1_499)).toMatchObject({ outcome: 'held-by-other' });
      expect(await lease('y', 1_501)).toMatchObject({ outcome: 'leased', window });
    });

    it('moves finishedVersion only forward and releases only the lease of the finisher', async () => {
      // Prepare: version 2 published by y, whose lease the late finisher x of version 1 must not end.
      const dataset = uniqueDataset();
      await store.windows.addPart(dataset, 60_000, 'a');
      const commit = (expectedVersion: number, partCount: number) =>
        store.windows.commitSeal(dataset, 60_000, {
          expectedVersion,
          manifestKey: `m${expectedVersion + 1}`,
          partsHash: 'h',
          partCount,
        });
      expect(await commit(0, 1)).toBe(true);
      await store.windows.addPart(dataset, 60_000, 'b');
      expect(await store.windows.lease(dataset, 60_000, 'y', 0, 1_000)).toMatchObject({ outcome: 'leased' });
      expect(await commit(1, 2)).toBe(true);

      // Act
      await store.windows.finishSeal(dataset, 60_000, 1, 'x');
      const afterLateFinisher = await store.windows.lease(dataset, 60_000, 'z', 500, 1_000);
      await store.windows.finishSeal(dataset, 60_000, 2, 'y');
      await store.windows.finishSeal(dataset, 60_000, 1, 'x');

      // Assess
      expect(afterLateFinisher).toMatchObject({ outcome: 'held-by-other', window: { finishedVersion: 1 } });
      expect(await store.windows.get(dataset, 60_000)).toMatchObject({
        manifestVersion: 2,
        finishedVersion: 2,
      });
      expect(await store.windows.lease(dataset, 60_000, 'z', 500, 1_000)).toEqual({
        outcome: 'nothing-to-seal',
      });
    });
  });
}
