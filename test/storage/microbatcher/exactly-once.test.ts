import { datasetRoot, processKafkaEvent, sealDueWindows, windowManifestSchema } from '@apphub/microbatcher';
import { createWatermarkStore, type WatermarkStore } from '@apphub/watermarks';
import { parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers.js';
import {
  aggregate,
  base,
  datasetSeries,
  documents,
  lake,
  minute,
  mskEvent,
  snapshotItems,
  snapshotObjects,
  store,
  table,
  testContext,
  testDescriptor,
  toArrayBuffer,
} from './harness.js';

/** Minutes 0-2 on two partitions, re-emitted aggregates, a tombstone, and minute 3 to move the watermark. */
function batchFor(topic: string) {
  return mskEvent([
    aggregate(topic, 0, 0, 'u-001', 0, 1),
    aggregate(topic, 0, 1, 'u-002', 0, 4),
    aggregate(topic, 0, 2, 'u-001', 0, 2),
    aggregate(topic, 0, 3, 'u-001', 1, 7),
    aggregate(topic, 0, 4, 'u-002', 0, null),
    aggregate(topic, 0, 5, 'u-001', 3, 1),
    aggregate(topic, 1, 0, 'u-003', 1, 5),
    aggregate(topic, 1, 1, 'u-003', 2, 6),
    aggregate(topic, 1, 2, 'u-003', 2, 8),
    aggregate(topic, 1, 3, 'u-004', 3, 1),
  ]);
}

async function sealedRows(dataset: string, windowMinute: number) {
  const window = await store.windows.get(dataset, base + windowMinute * minute);
  const manifest = await lake.getJson(window!.manifestKey!, windowManifestSchema);
  const rows = [];
  for (const file of manifest.files) {
    rows.push(...(await parquetReadObjects({ file: toArrayBuffer(await lake.get(file.key)) })));
  }
  return {
    version: manifest.version,
    rows: rows.map((row) => [row.user_id, (row.window_start as Date).toISOString(), row.event_count]),
  };
}

describe('micro-batcher exactly-once effect', () => {
  it('gives identical objects and one row per key when the same batch is delivered three times', async () => {
    // Prepare
    const descriptor = testDescriptor();
    const now = base + 10 * minute;
    const { context, emf } = testContext([descriptor], { now: () => now });
    const event = batchFor(descriptor.topic);
    const root = `${datasetRoot(descriptor)}/`;

    // Act
    const first = await processKafkaEvent(context, event);
    const objectsAfterFirst = await snapshotObjects(root);
    const itemsAfterFirst = await snapshotItems(descriptor.dataset);
    await processKafkaEvent(context, event);
    await processKafkaEvent(context, event);

    // Assess
    expect(first[descriptor.dataset]).toMatchObject({
      records: 10,
      deadLetters: 0,
      windowsSealed: 3,
      watermark: base + 3 * minute,
      sealedThrough: base + 3 * minute,
    });
    expect(await snapshotObjects(root)).toEqual(objectsAfterFirst);
    expect(await snapshotItems(descriptor.dataset)).toEqual(itemsAfterFirst);
    expect(Object.keys(objectsAfterFirst).filter((key) => key.startsWith('manifests/'))).toHaveLength(3);
    expect(await sealedRows(descriptor.dataset, 0)).toEqual({
      version: 1,
      rows: [['u-001', '2026-11-29T10:00:00.000Z', 2n]],
    });
    expect(await sealedRows(descriptor.dataset, 1)).toEqual({
      version: 1,
      rows: [
        ['u-001', '2026-11-29T10:01:00.000Z', 7n],
        ['u-003', '2026-11-29T10:01:00.000Z', 5n],
      ],
    });
    expect(await sealedRows(descriptor.dataset, 2)).toEqual({
      version: 1,
      rows: [['u-003', '2026-11-29T10:02:00.000Z', 8n]],
    });
    expect(
      datasetSeries(emf, descriptor.dataset, ['RecordsProcessed', 'WindowsSealed', 'LateRecords']),
    ).toEqual([
      ['RecordsProcessed', 10],
      ['WindowsSealed', 3],
      ['RecordsProcessed', 10],
      ['WindowsSealed', 0],
      ['RecordsProcessed', 10],
      ['WindowsSealed', 0],
    ]);
  });

  it.each([
    ['after the hot parts are written, before they are registered', 'windows', 'addPart'],
    [
      'after sealed files and manifest are written, before the manifest is published',
      'windows',
      'commitSeal',
    ],
    ['after the partition progress, before the watermark moves', 'watermarks', 'advanceWatermark'],
    [
      'after the symlink manifests and tags, before the seal is recorded as finished',
      'windows',
      'finishSeal',
    ],
  ] as const)(
    'converges when the invocation crashes %s and the batch is retried',
    async (_when, part, method) => {
      // Prepare: one clean run and one run whose store fails once at `method`.
      const topic = uniqueName('it-mb-topic');
      const clean = testDescriptor({ topic });
      const crashing = testDescriptor({ topic });
      const now = base + 10 * minute;
      let crashed = false;
      const faulty = createWatermarkStore(documents, table);
      const crashingStore = faulty[part] as unknown as Record<
        string,
        (...args: unknown[]) => Promise<unknown>
      >;
      const original = crashingStore[method]!.bind(crashingStore);
      crashingStore[method] = async (...args: unknown[]) => {
        if (!crashed) {
          crashed = true;
          throw new Error('injected crash');
        }
        return original(...args);
      };
      const cleanRun = testContext([clean], { now: () => now });
      const crashRun = testContext([crashing], { now: () => now, store: faulty });

      // Act
      await processKafkaEvent(cleanRun.context, batchFor(topic));
      await expect(processKafkaEvent(crashRun.context, batchFor(topic))).rejects.toThrow('injected crash');
      const retried = await processKafkaEvent(crashRun.context, batchFor(topic));

      // Assess
      expect(crashed).toBe(true);
      expect(retried[crashing.dataset]).toMatchObject({
        watermark: base + 3 * minute,
        sealedThrough: base + 3 * minute,
      });
      const cleanObjects = await snapshotObjects(`${datasetRoot(clean)}/`);
      const crashObjects = await snapshotObjects(`${datasetRoot(crashing)}/`);
      expect(Object.keys(crashObjects).sort()).toEqual(Object.keys(cleanObjects).sort());
      const differing = Object.keys(cleanObjects).filter(
        (key) => key.endsWith('.parquet') && crashObjects[key] !== cleanObjects[key],
      );
      expect(differing).toEqual([]);
      expect(await snapshotItems(crashing.dataset)).toEqual(await snapshotItems(clean.dataset));
      expect((await sealedRows(crashing.dataset, 1)).rows).toEqual((await sealedRows(clean.dataset, 1)).rows);
    },
  );

  it('keeps a correct, monotonic watermark under concurrent invocations on different partitions', async () => {
    // Prepare
    const descriptor = testDescriptor();
    const { context } = testContext([descriptor], { now: () => base + 60 * minute });
    const seen: number[] = [];
    let offsets = [0, 0];
    let newest = [0, 0];

    // Act: eight rounds; each round the two partitions advance by different amounts, concurrently.
    for (let round = 1; round <= 8; round++) {
      const steps = [round % 3 === 0 ? 3 : 1, round % 2 === 0 ? 2 : 1];
      const events = [0, 1].map((partition) => {
        const records = Array.from({ length: steps[partition]! }, (_, index) =>
          aggregate(
            descriptor.topic,
            partition,
            offsets[partition]! + index,
            `u-${partition}`,
            newest[partition]! + index + 1,
            1,
          ),
        );
        return mskEvent(records);
      });
      offsets = offsets.map((offset, partition) => offset + steps[partition]!);
      newest = newest.map((value, partition) => value + steps[partition]!);
      await Promise.all(events.map((event) => processKafkaEvent(context, event)));
      const { watermark } = await store.watermarks.get(descriptor.dataset);
      seen.push(watermark!);

      // Assess (each round): the watermark is the slower partition's newest event time.
      expect(watermark).toBe(base + Math.min(...newest) * minute);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    // Every window behind the watermark is sealed, whichever invocation held its lease.
    const watermark = seen[seen.length - 1]!;
    const unsealed = await store.windows.list(descriptor.dataset, base, watermark - minute, {
      unsealedOnly: true,
    });
    expect(unsealed.map((window) => window.windowStart)).toEqual([]);
    expect((await store.watermarks.get(descriptor.dataset)).sealedThrough).toBe(watermark);
    const partitions = await store.partitions.list(descriptor.dataset);
    expect(partitions.map((partition) => [partition.partition, partition.nextOffset])).toEqual([
      [0, offsets[0]],
      [1, offsets[1]],
    ]);
  });

  it('moves sealedThrough past every window when two concurrent passes split the due windows by lease', async () => {
    // Prepare: partition 0 has minutes 0-2, partition 1 only minute 0, which holds the watermark there.
    const descriptor = testDescriptor();
    const written = base + 10 * minute;
    const { context: writer } = testContext([descriptor], { now: () => written });
    await processKafkaEvent(
      writer,
      mskEvent([
        aggregate(descriptor.topic, 0, 0, 'u-a', 0, 1),
        aggregate(descriptor.topic, 0, 1, 'u-a', 1, 2),
        aggregate(descriptor.topic, 0, 2, 'u-a', 2, 3),
        aggregate(descriptor.topic, 1, 0, 'u-b', 0, 4),
      ]),
    );
    expect((await store.watermarks.get(descriptor.dataset)).sealedThrough ?? base).toBe(base);
    // Two hours on, both partitions are idle and the watermark is the end of the newest window: windows
    // 0-2 are due. Each pass already holds the lease of one of windows 0 and 1 (as if it had leased
    // first) and both list the due windows before either seals: each seals its own, leaves the other's
    // to its holder, and window 2 goes to whichever pass leases it first.
    const now = base + 2 * 60 * minute;
    await store.windows.lease(descriptor.dataset, base, 'pass-a', now, 60_000);
    await store.windows.lease(descriptor.dataset, base + minute, 'pass-b', now, 60_000);
    let listed = 0;
    let bothListed: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      bothListed = resolve;
    });
    const firstListingWaits = (): WatermarkStore => {
      let first = true;
      const windows = new Proxy(store.windows, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property !== 'list' || typeof value !== 'function') return value;
          return async (...args: Parameters<WatermarkStore['windows']['list']>) => {
            const listedWindows = await value.apply(target, args);
            if (first) {
              first = false;
              listed += 1;
              if (listed === 2) bothListed();
              await barrier;
            }
            return listedWindows;
          };
        },
      });
      return { ...store, windows };
    };

    // Act
    const passes = await Promise.all(
      ['pass-a', 'pass-b'].map((owner) =>
        sealDueWindows(testContext([descriptor], { store: firstListingWaits() }).context, descriptor, {
          now,
          owner,
        }),
      ),
    );

    // Assess: the pass that finished last saw every window sealed and moved sealedThrough past them.
    expect(passes.map((pass) => pass.windowsSealed).reduce((a, b) => a + b)).toBe(3);
    const windows = await store.windows.list(descriptor.dataset, base, base + 2 * minute);
    expect(windows.map((window) => window.manifestKey !== undefined)).toEqual([true, true, true]);
    expect((await store.watermarks.get(descriptor.dataset)).sealedThrough).toBe(base + 3 * minute);
  });
});
