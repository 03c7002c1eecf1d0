import {
  deadLetterSchema,
  type Lake,
  processKafkaEvent,
  queryDataset,
  SEALED_PART_TAG,
  sealDueWindows,
  sealLeaseMs,
  sealWindow,
  windowManifestSchema,
} from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';
import { aggregate, base, minute, mskEvent } from '../../support/kafka-records.js';
import { fakeBatcherContext, fakeDescriptor } from '../fakes/batcher-context.js';
import { InMemoryLake } from '../fakes/in-memory-lake.js';

// The sealing pass, the window lease and the watermark logic on an in-memory lake and store: the
// same code the Lambda runs, in milliseconds. The storage tests prove the same on S3 and DynamoDB.

const sealedTag = { [SEALED_PART_TAG.key]: SEALED_PART_TAG.value };

/** One batch on partition 0 with records for minutes 0 and 2: the watermark becomes minute 2. */
const twoWindows = (topic: string) =>
  mskEvent([aggregate(topic, 0, 0, 'u-001', 0, 1), aggregate(topic, 0, 1, 'u-002', 2, 4)]);

describe('the sealing pass on in-memory storage', () => {
  it('counts late records from the watermark its partition query returns, without reading it apart', async () => {
    // Prepare: a window sealed, then a batch for an open window and a late record for the sealed one.
    const descriptor = fakeDescriptor();
    const { context, store } = fakeBatcherContext([descriptor]);
    await processKafkaEvent(context, twoWindows(descriptor.topic));
    let watermarkReads = 0;
    const read = store.watermarks.get.bind(store.watermarks);
    store.watermarks.get = (dataset) => {
      watermarkReads += 1;
      return read(dataset);
    };

    // Act: nothing seals in the first (no re-read after sealing); the second is late data.
    const open = (
      await processKafkaEvent(context, mskEvent([aggregate(descriptor.topic, 0, 2, 'u-003', 2, 1)]))
    )[descriptor.dataset];
    const readsForOpen = watermarkReads;
    const late = (
      await processKafkaEvent(context, mskEvent([aggregate(descriptor.topic, 0, 3, 'u-001', 0, 6)]))
    )[descriptor.dataset];

    // Assess
    expect(open).toMatchObject({ lateRecords: 0, windowsSealed: 0 });
    expect(readsForOpen).toBe(0);
    expect(late).toMatchObject({ lateRecords: 1, windowsSealed: 1 });
  });

  it("gives each dataset its topic's records and dead-letters a topic no descriptor reads", async () => {
    // Prepare: two datasets and a third topic, their records interleaved in the event.
    const [first, second] = [fakeDescriptor(), fakeDescriptor()];
    const { context, lake } = fakeBatcherContext([first!, second!]);
    const event = mskEvent([
      aggregate(second!.topic, 0, 0, 'u-001', 0, 1),
      aggregate('unit-unread-topic', 0, 7, 'u-001', 0, 1),
      aggregate(first!.topic, 0, 0, 'u-001', 0, 1),
      aggregate(second!.topic, 0, 1, 'u-002', 0, 1),
    ]);

    // Act
    const summaries = await processKafkaEvent(context, event);

    // Assess
    expect(summaries[first!.dataset]).toMatchObject({ records: 1, deadLetters: 0 });
    expect(summaries[second!.dataset]).toMatchObject({ records: 2, deadLetters: 0 });
    const letters = lake.keys(`${first!.prefix}/unrouted/`);
    expect(letters).toHaveLength(1);
    expect(await lake.getJson(letters[0]!, deadLetterSchema)).toMatchObject({
      dataset: 'unrouted',
      topic: 'unit-unread-topic',
      offset: 7,
      reason: 'no dataset descriptor reads topic unit-unread-topic',
    });
  });

  it('seals a window once the watermark passes its end, and leaves the open one alone', async () => {
    // Prepare: records for minutes 0 and 2 on one partition; the watermark becomes minute 2.
    const descriptor = fakeDescriptor();
    const { context, lake, store } = fakeBatcherContext([descriptor]);
    const event = twoWindows(descriptor.topic);

    // Act
    const summary = (await processKafkaEvent(context, event))[descriptor.dataset];

    // Assess
    expect(summary).toMatchObject({
      records: 2,
      partsWritten: 2,
      windowsSealed: 1,
      watermark: base + 2 * minute,
      sealedThrough: base + 2 * minute,
    });
    const sealed = await store.windows.get(descriptor.dataset, base);
    expect(sealed).toMatchObject({ manifestVersion: 1, finishedVersion: 1, sealedPartCount: 1 });
    expect(store.windows.leaseOf(descriptor.dataset, base)).toBeUndefined();
    expect(lake.tagsOf(sealed!.parts[0]!)).toEqual(sealedTag);
    const open = await store.windows.get(descriptor.dataset, base + 2 * minute);
    expect(open).toMatchObject({ manifestVersion: 0 });
    expect(lake.tagsOf(open!.parts[0]!)).toEqual({});
    const manifest = await lake.getJson(sealed!.manifestKey!, windowManifestSchema);
    expect(manifest).toMatchObject({ version: 1, rowCount: 1, parts: sealed!.parts });
  });

  it('changes nothing when the same batch is delivered again', async () => {
    const descriptor = fakeDescriptor();
    const { context, lake, store } = fakeBatcherContext([descriptor]);
    const event = twoWindows(descriptor.topic);
    await processKafkaEvent(context, event);
    const keysBefore = lake.keys();
    const windowBefore = await store.windows.get(descriptor.dataset, base);

    // Act
    const again = (await processKafkaEvent(context, event))[descriptor.dataset];

    // Assess
    expect(again).toMatchObject({ windowsSealed: 0, lateRecords: 0, sealedThrough: base + 2 * minute });
    expect(lake.keys()).toEqual(keysBefore);
    expect(await store.windows.get(descriptor.dataset, base)).toEqual(windowBefore);
    // The redelivered part was written again, untagged, and is tagged again: its version covers it.
    expect(lake.tagsOf(windowBefore!.parts[0]!)).toEqual(sealedTag);
  });

  it('re-seals a sealed window as a new version when late data arrives, and reads show the new value', async () => {
    const descriptor = fakeDescriptor();
    const { context, store } = fakeBatcherContext([descriptor]);
    await processKafkaEvent(
      context,
      mskEvent([
        aggregate(descriptor.topic, 0, 0, 'u-001', 0, 1),
        aggregate(descriptor.topic, 0, 1, 'u-002', 2, 4),
      ]),
    );

    // Act: a re-emitted aggregate for minute 0, behind the watermark.
    const late = (
      await processKafkaEvent(context, mskEvent([aggregate(descriptor.topic, 0, 2, 'u-001', 0, 5)]))
    )[descriptor.dataset];
    const read = await queryDataset(context, descriptor, { from: base, to: base + minute });

    // Assess
    expect(late).toMatchObject({ lateRecords: 1, windowsSealed: 1 });
    expect(await store.windows.get(descriptor.dataset, base)).toMatchObject({
      manifestVersion: 2,
      finishedVersion: 2,
      sealedPartCount: 2,
    });
    expect(read.rows).toHaveLength(1);
    expect(read.rows[0]).toMatchObject({ status: 'sealed', values: { user_id: 'u-001', event_count: 5n } });
  });

  it('seals the last window of an idle dataset on a scheduled pass once its partitions are idle', async () => {
    const descriptor = fakeDescriptor({ idleTimeout: '1 min' });
    const { context, store, clock } = fakeBatcherContext([descriptor]);
    await processKafkaEvent(context, mskEvent([aggregate(descriptor.topic, 0, 0, 'u-001', 0, 1)]));
    const ingestedAt = clock.now;

    // Act: one pass while the partition still counts as active, one after it went idle.
    const early = await sealDueWindows(context, descriptor, { now: ingestedAt + 59_000 });
    const idle = await sealDueWindows(context, descriptor, { now: ingestedAt + 61_000 });

    // Assess
    expect(early).toMatchObject({ windowsSealed: 0, watermark: base });
    expect(idle).toMatchObject({ windowsSealed: 1, watermark: base + minute, sealedThrough: base + minute });
    expect(await store.windows.get(descriptor.dataset, base)).toMatchObject({ manifestVersion: 1 });
  });

  it('finishes a version whose sealer stopped after publishing it', async () => {
    // Prepare: the first symlink manifest write fails, as a function stopping right after publishing.
    const descriptor = fakeDescriptor();
    const lake = new CrashingOnceLake();
    const { context, store } = fakeBatcherContext([descriptor]);
    const crashing = { ...context, lake };
    const event = twoWindows(descriptor.topic);
    await expect(processKafkaEvent(crashing, event)).rejects.toThrow('injected crash');
    expect(await store.windows.get(descriptor.dataset, base)).toMatchObject({
      manifestVersion: 1,
      finishedVersion: 0,
    });

    // Act: the lease of the crashed sealer (the batch's own name) comes back to the retried batch.
    const retried = (await processKafkaEvent(crashing, event))[descriptor.dataset];

    // Assess
    expect(retried).toMatchObject({ windowsSealed: 0, sealedThrough: base + 2 * minute });
    const window = await store.windows.get(descriptor.dataset, base);
    expect(window).toMatchObject({ manifestVersion: 1, finishedVersion: 1 });
    expect(lake.tagsOf(window!.parts[0]!)).toEqual(sealedTag);
  });
});

describe('sealWindow and the window lease', () => {
  it('leaves a window another sealer leases, and takes it over once that lease expired', async () => {
    const descriptor = fakeDescriptor();
    const { context, store, clock } = fakeBatcherContext([descriptor]);
    await store.windows.addPart(descriptor.dataset, base, 'parts/none.parquet');
    await store.windows.lease(descriptor.dataset, base, 'other', clock.now, sealLeaseMs);

    // Act
    const held = await sealWindow(context, descriptor, base, { owner: 'me', now: clock.now + sealLeaseMs });
    const stillHeld = await store.windows.lease(descriptor.dataset, base, 'me', clock.now, sealLeaseMs);

    // Assess
    expect(held).toEqual({ sealed: false, leasedByOther: true });
    expect(stillHeld.outcome).toBe('held-by-other');
    expect(store.windows.leaseOf(descriptor.dataset, base)?.owner).toBe('other');
    const expired = await store.windows.lease(descriptor.dataset, base, 'me', clock.now + sealLeaseMs + 1, 1);
    expect(expired.outcome).toBe('leased');
  });

  it('takes over, inside its wait, the window of a sealer that crashed holding the lease', async () => {
    // Prepare: a part to seal, and a lease its holder took a second ago and will never release.
    const descriptor = fakeDescriptor();
    const { context, store, clock } = fakeBatcherContext([descriptor]);
    await processKafkaEvent(context, mskEvent([aggregate(descriptor.topic, 0, 0, 'u-001', 0, 3)]));
    await store.windows.lease(descriptor.dataset, base, 'crashed', clock.now - 1000, sealLeaseMs);
    // A clock the wait advances itself: no real time passes.
    const waitClock = {
      now: () => clock.now,
      sleep: async (ms: number) => {
        clock.now += ms;
      },
    };
    const startedAt = clock.now;

    // Act
    const outcome = await sealWindow(context, descriptor, base, {
      owner: 'me',
      now: clock.now,
      clock: waitClock,
      waitForLease: true,
    });

    // Assess: sealed once the crashed sealer's lease ran out, before this sealer's wait did.
    expect(outcome).toMatchObject({ sealed: true });
    expect(clock.now - startedAt).toBeGreaterThanOrEqual(sealLeaseMs - 1000);
    expect(clock.now - startedAt).toBeLessThanOrEqual(sealLeaseMs);
    expect(await store.windows.get(descriptor.dataset, base)).toMatchObject({
      manifestVersion: 1,
      finishedVersion: 1,
    });
  });

  it('publishes a version once when two sealers race for the same window', async () => {
    const descriptor = fakeDescriptor();
    const { context, store, clock } = fakeBatcherContext([descriptor]);
    // The watermark stays at minute 0, so no pass seals the window before the racing sealers do.
    await processKafkaEvent(context, mskEvent([aggregate(descriptor.topic, 0, 0, 'u-001', 0, 3)]));

    // Act: both sealers run at once; the lease lets one in, the other leaves the window.
    const outcomes = await Promise.all(
      ['a', 'b'].map((owner) => sealWindow(context, descriptor, base, { owner, now: clock.now })),
    );

    // Assess
    expect(outcomes.filter((outcome) => outcome.sealed)).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.leasedByOther)).toHaveLength(1);
    expect(await store.windows.get(descriptor.dataset, base)).toMatchObject({
      manifestVersion: 1,
      finishedVersion: 1,
    });
  });
});

/** An in-memory lake whose first conditional write (the first symlink manifest) fails. */
class CrashingOnceLake extends InMemoryLake {
  private armed = true;

  override async putIf(...args: Parameters<Lake['putIf']>): Promise<boolean> {
    if (this.armed && args[1].includes('/symlinks/')) {
      this.armed = false;
      throw new Error('injected crash');
    }
    return super.putIf(...args);
  }
}
