import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { FailedBatchStore } from '../../../local/src/batcher/failed-batches.js';
import { aws, MORE_THAN_ONE_PAGE, putObjects, uniqueName } from '../helpers.js';

/** The replay command's listing of the on-failure bucket, against the storage project's S3. */
describe('FailedBatchStore.keysAt', () => {
  const bucket = uniqueName('failed-pages');
  const store = new FailedBatchStore(aws.s3, bucket);

  beforeAll(async () => {
    await aws.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it('lists every key under a prefix across pages, in key order, without the replayed ones', async () => {
    // Prepare
    const prefix = 'aws/lambda/mapping/';
    const keys = Array.from(
      { length: MORE_THAN_ONE_PAGE },
      (_, index) => `${prefix}batch-${String(MORE_THAN_ONE_PAGE - index).padStart(4, '0')}.json`,
    );
    await putObjects(bucket, [...keys, `replayed/${keys[0]}`]);

    // Act
    const listed = await store.keysAt(prefix);
    const all = await store.keysAt('');

    // Assess
    expect(listed).toEqual([...keys].sort());
    expect(all).toEqual([...keys].sort());
  });
});
