import { ControlPlaneStorageError, SnapshotStorage } from '@apphub/control-plane';
import { platform } from '@apphub/platform';
import { ListObjectsV2Command, PutObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { aws, MORE_THAN_ONE_PAGE, putObjects, uniqueName } from '../helpers.js';

/** Savepoint and checkpoint data in S3 (the AWS path), against the local S3 API (moto). */
describe('SnapshotStorage on S3', () => {
  const bucket = platform.storage.checkpointBucket;
  const storage = new SnapshotStorage(aws.s3);

  async function put(key: string): Promise<void> {
    await aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
  }

  async function keysUnder(prefix: string): Promise<string[]> {
    const page = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (page.Contents ?? []).map((object) => object.Key!).sort();
  }

  it('checks _metadata, finds the newest checkpoint and deletes a savepoint prefix, never outside the root', async () => {
    const root = uniqueName('it-cp-s3');
    await Promise.all([
      put(`${root}/savepoints/orders/savepoint-a1b2c3-1/_metadata`),
      put(`${root}/savepoints/orders/savepoint-a1b2c3-1/op-state-1`),
      put(`${root}/savepoints/orders/savepoint-a1b2c3-2/_metadata`),
      put(`${root}/checkpoints/job1/chk-9/_metadata`),
      put(`${root}/checkpoints/job1/chk-12/_metadata`),
      put(`${root}/checkpoints/job1/chk-13/op-state-in-progress`),
      put(`${root}/checkpoints/job1/shared/state-1`),
    ]);
    const savepointRoot = `s3://${bucket}/${root}/savepoints`;

    expect(await storage.hasMetadata(`${savepointRoot}/orders/savepoint-a1b2c3-1`)).toBe(true);
    expect(await storage.hasMetadata(`${savepointRoot}/orders/savepoint-missing`)).toBe(false);
    expect(await storage.latestCheckpoint(`s3://${bucket}/${root}/checkpoints`, 'job1')).toMatchObject({
      path: `s3://${bucket}/${root}/checkpoints/job1/chk-12`,
      checkpointId: 12,
    });

    await storage.deleteSnapshot(`${savepointRoot}/orders/savepoint-a1b2c3-1`, savepointRoot);
    await storage.deleteSnapshot(`${savepointRoot}/orders/savepoint-a1b2c3-1`, savepointRoot);

    expect(await keysUnder(`${root}/savepoints/`)).toEqual([
      `${root}/savepoints/orders/savepoint-a1b2c3-2/_metadata`,
    ]);
    await expect(
      storage.deleteSnapshot(`s3://${bucket}/${root}/checkpoints/job1/chk-12`, savepointRoot),
    ).rejects.toThrow(ControlPlaneStorageError);
    expect(await keysUnder(`${root}/checkpoints/job1/chk-12/`)).toHaveLength(1);

    await storage.deleteSnapshot(`s3://${bucket}/${root}`, `s3://${bucket}`);
    expect(await keysUnder(`${root}/`)).toEqual([]);
  });

  it('finds a checkpoint and deletes every object when the listing spans more than one page', async () => {
    // Prepare: chk-1's state files fill the first page, so chk-2/_metadata is on the second.
    const root = uniqueName('it-cp-pages');
    const stateFiles = Array.from(
      { length: MORE_THAN_ONE_PAGE },
      (_, index) => `${root}/job1/chk-1/state-${String(index).padStart(4, '0')}`,
    );
    await putObjects(bucket, [...stateFiles, `${root}/job1/chk-2/_metadata`]);

    // Act
    const latest = await storage.latestCheckpoint(`s3://${bucket}/${root}`, 'job1');
    await storage.deleteSnapshot(`s3://${bucket}/${root}/job1`, `s3://${bucket}/${root}`);

    // Assess
    expect(latest).toMatchObject({ path: `s3://${bucket}/${root}/job1/chk-2`, checkpointId: 2 });
    const left: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client: aws.s3 },
      { Bucket: bucket, Prefix: `${root}/` },
    )) {
      left.push(...(page.Contents ?? []).map((object) => object.Key!));
    }
    expect(left).toEqual([]);
  });
});
