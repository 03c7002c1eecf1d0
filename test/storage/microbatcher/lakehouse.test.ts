import {
  type DatasetDescriptor,
  datasetRoot,
  processKafkaEvent,
  queryDataset,
  S3Lake,
  SEALED_PART_TAG,
  SYMLINK_VERSION_METADATA,
  sealDueWindows,
  symlinkRoot,
  type WindowManifest,
  windowManifestSchema,
  writeSymlinkManifests,
} from '@apphub/microbatcher';
import { decodeParquet } from '@apphub/parquet';
import { createWatermarkStore } from '@apphub/watermarks';
import {
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
} from '@aws-sdk/client-s3';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { aws, uniqueName } from '../helpers.js';
import {
  aggregate,
  base,
  bucket,
  documents,
  iso,
  lake,
  listKeys,
  minute,
  mskEvent,
  snapshotObjects,
  store,
  table,
  testContext,
  testDescriptor,
} from './harness.js';

/** Whether an object carries the tag the lifecycle rule expires hot parts by. */
async function isTagged(key: string): Promise<boolean> {
  const { TagSet } = await aws.s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  return (TagSet ?? []).some((tag) => tag.Key === SEALED_PART_TAG.key && tag.Value === SEALED_PART_TAG.value);
}

async function taggedHotParts(descriptor: DatasetDescriptor): Promise<string[]> {
  const keys = await listKeys(`${datasetRoot(descriptor)}/hot/`);
  const tagged = await Promise.all(keys.map(isTagged));
  return keys.filter((_, index) => tagged[index]);
}

/** What S3's lifecycle rule does to tagged hot parts once they are old enough: deletes them. */
async function expireTaggedHotParts(descriptor: DatasetDescriptor): Promise<string[]> {
  const expired = await taggedHotParts(descriptor);
  await Promise.all(expired.map((key) => aws.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))));
  return expired;
}

/** The symlink manifests of a dataset as Athena reads them: key → listed object keys, and their version. */
async function readSymlinks(descriptor: DatasetDescriptor) {
  const result: Record<string, { files: string[]; version: number }> = {};
  for (const key of await listKeys(`${symlinkRoot(descriptor)}/`)) {
    const body = Buffer.from(await lake.get(key)).toString('utf8');
    const head = await aws.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    result[key.slice(symlinkRoot(descriptor).length + 1)] = {
      files: body
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => {
          expect(line.startsWith(`s3://${bucket}/`)).toBe(true);
          return line.slice(`s3://${bucket}/`.length);
        }),
      version: Number(head.Metadata?.[SYMLINK_VERSION_METADATA]),
    };
  }
  return result;
}

/** What the symlink manifests of a window must be for `manifest`: one per cell, its sealed files. */
function expectedSymlinks(manifest: WindowManifest) {
  const label = manifest.files[0]!.key.match(/window=([^/]+)/)![1];
  const expected: Record<string, { files: string[]; version: number }> = {};
  for (const file of manifest.files) {
    const cell = [`window=${label}`, file.partition, 'manifest'].filter((part) => part !== '').join('/');
    expected[cell] = { files: [...(expected[cell]?.files ?? []), file.key], version: manifest.version };
  }
  return expected;
}

/** Rows an Athena query of the table would return: every file the symlink manifests list. */
async function rowsThroughSymlinks(descriptor: DatasetDescriptor) {
  const rows = [];
  for (const { files } of Object.values(await readSymlinks(descriptor))) {
    for (const key of files) rows.push(...decodeParquet(await lake.get(key)).rows);
  }
  return rows
    .map((row) => [row.user_id, iso(row.window_start as number), row.event_count])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1])));
}

async function currentManifest(descriptor: DatasetDescriptor, windowStart: number) {
  const window = await store.windows.get(descriptor.dataset, windowStart);
  return lake.getJson(window!.manifestKey!, windowManifestSchema);
}

/** A lake whose first conditional write fails, as a function that stops right after publishing. */
function lakeCrashingAtFirstSymlink() {
  const crashing = new S3Lake(aws.s3, bucket);
  const state = { armed: true };
  const original = crashing.putIf.bind(crashing);
  crashing.putIf = async (...args) => {
    // Conditional writes of symlink manifests only (the schema record is one too).
    if (state.armed && args[1].includes('/symlinks/')) {
      state.armed = false;
      throw new Error('injected crash');
    }
    return original(...args);
  };
  return { lake: crashing, state };
}

describe('micro-batcher lakehouse: symlink manifests and expiring hot parts', () => {
  it('lists exactly the current sealed files in each cell symlink manifest, after a seal and a re-seal', async () => {
    // Prepare: window 0 with cells user_id=u-001 and user_id=u-002, sealed by a record of minute 2.
    const descriptor = testDescriptor({ partitionKeys: ['user_id'] });
    const { context } = testContext([descriptor], { now: () => base + 10 * minute });
    const topic = descriptor.topic;
    await processKafkaEvent(
      context,
      mskEvent([
        aggregate(topic, 0, 0, 'u-001', 0, 1),
        aggregate(topic, 0, 1, 'u-002', 0, 2),
        aggregate(topic, 0, 2, 'u-003', 2, 3),
      ]),
    );
    const first = await currentManifest(descriptor, base);
    const afterSeal = await readSymlinks(descriptor);

    // Act: late data deletes u-002 (its cell empties) and adds u-004 (a new cell).
    await processKafkaEvent(
      context,
      mskEvent([aggregate(topic, 0, 3, 'u-002', 0, null), aggregate(topic, 0, 4, 'u-004', 0, 4)]),
    );
    const second = await currentManifest(descriptor, base);
    const afterReseal = await readSymlinks(descriptor);

    // Assess
    expect(first.version).toBe(1);
    expect(afterSeal).toEqual(expectedSymlinks(first));
    expect(Object.keys(afterSeal)).toEqual([
      'window=20261129T100000Z/user_id=u-001/manifest',
      'window=20261129T100000Z/user_id=u-002/manifest',
    ]);
    expect(second.version).toBe(2);
    expect(afterReseal).toEqual(expectedSymlinks(second));
    expect(Object.keys(afterReseal)).toEqual([
      'window=20261129T100000Z/user_id=u-001/manifest',
      'window=20261129T100000Z/user_id=u-002/manifest',
      'window=20261129T100000Z/user_id=u-004/manifest',
    ]);
    expect(second.files.map((file) => [file.partition, file.rowCount])).toEqual([
      ['user_id=u-001', 1],
      ['user_id=u-002', 0],
      ['user_id=u-004', 1],
    ]);
    expect(await rowsThroughSymlinks(descriptor)).toEqual([
      ['u-001', '2026-11-29T10:00:00.000Z', 1n],
      ['u-004', '2026-11-29T10:00:00.000Z', 4n],
    ]);
    const hybrid = await queryDataset(context, descriptor, { from: base, to: base + minute });
    expect(hybrid.rows.map((row) => [row.status, row.values.user_id, row.values.event_count])).toEqual([
      ['sealed', 'u-001', 1n],
      ['sealed', 'u-004', 4n],
    ]);
  });

  it('repairs symlink manifests and tags that lag the published version after a crash', async () => {
    // Prepare: the function stops after publishing version 1, before any symlink manifest or tag.
    const descriptor = testDescriptor();
    const crash = lakeCrashingAtFirstSymlink();
    const now = base + 10 * minute;
    const { context, logs } = testContext([descriptor], { now: () => now });
    const crashing = { ...context, lake: crash.lake };
    const topic = descriptor.topic;
    const batch = mskEvent([aggregate(topic, 0, 0, 'u-001', 0, 1), aggregate(topic, 0, 1, 'u-002', 1, 2)]);
    await expect(processKafkaEvent(crashing, batch)).rejects.toThrow('injected crash');
    const lagging = await store.windows.get(descriptor.dataset, base);

    // Act: a scheduled pass once the crashed invocation's lease has expired.
    const pass = await sealDueWindows(context, descriptor, { now: now + 61_000 });

    // Assess
    expect(lagging).toMatchObject({ manifestVersion: 1, finishedVersion: 0 });
    expect(pass.sealedThrough).toBe(base + minute);
    const first = await currentManifest(descriptor, base);
    expect(await readSymlinks(descriptor)).toEqual(expectedSymlinks(first));
    expect(await taggedHotParts(descriptor)).toEqual([...first.parts]);
    expect(await store.windows.get(descriptor.dataset, base)).toMatchObject({ finishedVersion: 1 });
    expect(logs.filter((line) => line.message === 'window seal finished')).toHaveLength(1);

    // Act: late data publishes version 2 and the function stops again before its symlink manifests;
    // the retried batch (the event source mapping's retry) repairs them.
    crash.state.armed = true;
    const late = mskEvent([aggregate(topic, 0, 2, 'u-001', 0, 5)]);
    await expect(processKafkaEvent(crashing, late)).rejects.toThrow('injected crash');
    const stale = await readSymlinks(descriptor);
    await processKafkaEvent(crashing, late);

    // Assess
    const second = await currentManifest(descriptor, base);
    expect(second.version).toBe(2);
    expect(stale).toEqual(expectedSymlinks(first));
    expect(await readSymlinks(descriptor)).toEqual(expectedSymlinks(second));
    expect(await taggedHotParts(descriptor)).toEqual([...second.parts]);
    expect(await rowsThroughSymlinks(descriptor)).toEqual([['u-001', '2026-11-29T10:00:00.000Z', 5n]]);
  });

  it('never moves a symlink manifest back to an older version, whatever order its writers land in', async () => {
    // Prepare: versions 1 and 2 of one window with different cells, as a late and a current writer see them.
    const descriptor = testDescriptor({ partitionKeys: ['user_id'] });
    const windowStart = base + 7 * minute;
    const sealed = (cell: string, hash: string) => ({
      key: `${datasetRoot(descriptor)}/sealed/window=20261129T100700Z/${cell}/data-${hash}.parquet`,
      partition: cell,
      rowCount: 1,
    });
    const version = (number: number, files: ReturnType<typeof sealed>[]) => ({
      windowStart: iso(windowStart),
      version: number,
      files,
    });
    const v1 = version(1, [sealed('user_id=a', 'h1'), sealed('user_id=b', 'h1')]);
    const v2 = version(2, [sealed('user_id=a', 'h2'), sealed('user_id=b', 'h2'), sealed('user_id=c', 'h2')]);
    const v3 = version(3, [
      sealed('user_id=a', 'h3'),
      { ...sealed('user_id=b', 'h3'), rowCount: 0 },
      sealed('user_id=c', 'h3'),
    ]);

    // Act: concurrent writers of versions 1 and 2, then 3 racing with a late writer of 2 and of 1.
    await Promise.all([
      writeSymlinkManifests(lake, descriptor, v1),
      writeSymlinkManifests(lake, descriptor, v2),
    ]);
    const afterTwo = await readSymlinks(descriptor);
    await Promise.all([
      writeSymlinkManifests(lake, descriptor, v2),
      writeSymlinkManifests(lake, descriptor, v3),
      writeSymlinkManifests(lake, descriptor, v1),
    ]);
    await writeSymlinkManifests(lake, descriptor, v1);

    // Assess
    const cellsOf = (manifest: typeof v1) =>
      Object.fromEntries(
        manifest.files.map((file) => [
          `window=20261129T100700Z/${file.partition}/manifest`,
          { files: [file.key], version: manifest.version },
        ]),
      );
    expect(afterTwo).toEqual(cellsOf(v2));
    expect(await readSymlinks(descriptor)).toEqual(cellsOf(v3));
  });

  it('tags exactly the hot parts a published manifest covers, and tags them again when a batch is redelivered', async () => {
    // Prepare: windows 0 and 1 sealed, window 2 hot; parts from two Kafka partitions.
    const descriptor = testDescriptor();
    const { context } = testContext([descriptor], { now: () => base + 10 * minute });
    const topic = descriptor.topic;
    const batches = [
      mskEvent([aggregate(topic, 0, 0, 'u-001', 0, 1), aggregate(topic, 0, 1, 'u-001', 2, 2)]),
      mskEvent([aggregate(topic, 1, 0, 'u-002', 0, 3), aggregate(topic, 1, 1, 'u-002', 1, 4)]),
      mskEvent([aggregate(topic, 1, 2, 'u-002', 2, 5)]),
    ];

    // Act
    for (const batch of batches) await processKafkaEvent(context, batch);
    const covered = [
      ...(await currentManifest(descriptor, base)).parts,
      ...(await currentManifest(descriptor, base + minute)).parts,
    ].sort();
    const tagged = await taggedHotParts(descriptor);
    // A redelivered batch writes its parts again: new objects, which lose the tag until it is set again.
    await processKafkaEvent(context, batches[1]!);

    // Assess
    expect((await store.windows.get(descriptor.dataset, base + 2 * minute))?.manifestVersion).toBe(0);
    expect(covered).toHaveLength(3);
    expect(tagged).toEqual(covered);
    expect(await taggedHotParts(descriptor)).toEqual(covered);
    const hot = await listKeys(`${datasetRoot(descriptor)}/hot/`);
    expect(
      hot.filter((key) => !covered.includes(key)).map((key) => key.includes('window=20261129T100200Z')),
    ).toEqual([true, true]);
  });

  it('re-seals from the compacted part once the covered hot parts expired: same rows plus the late data', async () => {
    // Prepare: one dataset keeps its hot parts, the other loses every tagged one before each step.
    const topic = uniqueName('it-mb-topic');
    const kept = testDescriptor({ topic });
    const expiring = testDescriptor({ topic });
    const now = base + 10 * minute;
    const keptRun = testContext([kept], { now: () => now });
    const expiringRun = testContext([expiring], { now: () => now });
    let crashed = false;
    const faulty = createWatermarkStore(documents, table);
    const commit = faulty.windows.commitSeal.bind(faulty.windows);
    faulty.windows.commitSeal = async (...args) => {
      if (!crashed) {
        crashed = true;
        throw new Error('injected crash');
      }
      return commit(...args);
    };
    const steps = {
      // Window 0: u-001 updated and u-002 deleted by a later batch; minute 2 seals window 0.
      first: mskEvent([aggregate(topic, 0, 0, 'u-001', 0, 1), aggregate(topic, 0, 1, 'u-002', 0, 7)]),
      second: mskEvent([
        aggregate(topic, 0, 3, 'u-001', 0, 2),
        aggregate(topic, 0, 4, 'u-002', 0, null),
        aggregate(topic, 0, 5, 'u-003', 2, 1),
      ]),
      // A failed batch replayed late: older than what window 0 holds for both keys.
      replayed: mskEvent([aggregate(topic, 0, 2, 'u-002', 0, 6)]),
      late: mskEvent([aggregate(topic, 0, 6, 'u-004', 0, 4)]),
    };
    const rowsOf = async (descriptor: DatasetDescriptor, context = keptRun.context) =>
      (await queryDataset(context, descriptor, { from: base, to: base + minute })).rows.map((row) => [
        row.status,
        row.values.user_id,
        row.values.event_count,
      ]);

    // Act
    for (const step of [steps.first, steps.second, steps.replayed, steps.late]) {
      await processKafkaEvent(keptRun.context, step);
    }
    await processKafkaEvent(expiringRun.context, steps.first);
    await processKafkaEvent(expiringRun.context, steps.second);
    const sealedBefore = await rowsOf(expiring);
    const expiredFirst = await expireTaggedHotParts(expiring);
    // The first batch delivered again after its parts expired: nothing old comes back.
    await processKafkaEvent(expiringRun.context, steps.first);
    const afterRedelivery = await rowsOf(expiring);
    const retagged = await taggedHotParts(expiring);
    await processKafkaEvent(expiringRun.context, steps.replayed);
    const expiredSecond = await expireTaggedHotParts(expiring);
    // The late batch's seal crashes before publishing: the re-opened window is read hot meanwhile.
    await expect(processKafkaEvent({ ...expiringRun.context, store: faulty }, steps.late)).rejects.toThrow(
      'injected crash',
    );
    const reopened = await rowsOf(expiring);
    await processKafkaEvent(expiringRun.context, steps.late);

    // Assess
    expect(sealedBefore).toEqual([['sealed', 'u-001', 2n]]);
    expect(expiredFirst).toHaveLength(2);
    expect(afterRedelivery).toEqual(sealedBefore);
    expect(retagged).toEqual(expiredFirst.filter((key) => key.includes('+00000000000000000000+')));
    // The part written again by the redelivery and the replayed batch's part, both covered by version 2.
    expect(expiredSecond).toHaveLength(2);
    expect(reopened).toEqual([
      ['hot', 'u-001', 2n],
      ['hot', 'u-004', 4n],
    ]);
    expect(await rowsOf(expiring)).toEqual([
      ['sealed', 'u-001', 2n],
      ['sealed', 'u-004', 4n],
    ]);
    expect(await rowsOf(kept)).toEqual(await rowsOf(expiring));
    // Same input, same bytes: the sealed output does not depend on which hot parts were still there.
    const outputOf = async (descriptor: DatasetDescriptor) =>
      Object.entries(await snapshotObjects(`${datasetRoot(descriptor)}/`))
        .filter(([key]) => !key.startsWith('hot/'))
        .map(([key, body]) => [
          key,
          // Manifests and symlink manifests name their dataset; Parquet files do not.
          key.endsWith('.parquet')
            ? body
            : Buffer.from(body, 'base64').toString('utf8').replaceAll(descriptor.dataset, '<dataset>'),
        ]);
    expect(await outputOf(expiring)).toEqual(await outputOf(kept));
  });

  it('never tags the parts of a window whose manifest has no compacted part, and re-seals it from all its parts', async () => {
    // Prepare: window 0 as the earlier micro-batcher left it: a manifest without a compacted part,
    // untagged parts, no finished version.
    const descriptor = testDescriptor();
    const now = base + 10 * minute;
    const { context } = testContext([descriptor], { now: () => now });
    const topic = descriptor.topic;
    const first = mskEvent([aggregate(topic, 0, 0, 'u-001', 0, 1), aggregate(topic, 0, 1, 'u-002', 1, 2)]);
    await processKafkaEvent(context, first);
    const window = await store.windows.get(descriptor.dataset, base);
    const { compactedPart: _, ...legacy } = await lake.getJson(window!.manifestKey!, windowManifestSchema);
    await lake.put(window!.manifestKey!, `${JSON.stringify(legacy, null, 2)}\n`, 'application/json');
    await Promise.all(
      window!.parts.map((key) => aws.s3.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: key }))),
    );
    await documents.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: `dataset#${descriptor.dataset}`, sk: `window#${iso(base)}` },
        UpdateExpression: 'REMOVE finishedVersion',
      }),
    );

    // Act: the first batch redelivered finishes the old version; then late data re-seals the window.
    await processKafkaEvent(context, first);
    const taggedAfterRedelivery = await taggedHotParts(descriptor);
    const symlinksOfOld = await readSymlinks(descriptor);
    await processKafkaEvent(context, mskEvent([aggregate(topic, 0, 2, 'u-003', 0, 3)]));

    // Assess
    expect(taggedAfterRedelivery).toEqual([]);
    expect(symlinksOfOld).toEqual(expectedSymlinks(legacy));
    expect(await store.windows.get(descriptor.dataset, base)).toMatchObject({ finishedVersion: 2 });
    const second = await currentManifest(descriptor, base);
    expect(second.compactedPart).toBeDefined();
    expect(await taggedHotParts(descriptor)).toEqual([...second.parts]);
    expect(await rowsThroughSymlinks(descriptor)).toEqual([
      ['u-001', '2026-11-29T10:00:00.000Z', 1n],
      ['u-003', '2026-11-29T10:00:00.000Z', 3n],
    ]);
  });
});
