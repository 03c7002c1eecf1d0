import { GetObjectTaggingCommand } from '@aws-sdk/client-s3';
import { describeLakeContract } from '../../support/lake-contract.js';
import { aws } from '../helpers.js';
import { lake } from './harness.js';

describeLakeContract(
  'S3Lake on MinIO keeps the Lake contract',
  () => lake,
  async (lake, key) => {
    const { TagSet } = await aws.s3.send(new GetObjectTaggingCommand({ Bucket: lake.bucket, Key: key }));
    return Object.fromEntries((TagSet ?? []).map((tag) => [tag.Key!, tag.Value!]));
  },
);
