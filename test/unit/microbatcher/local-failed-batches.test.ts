import { ConfigInvalidError } from '@apphub/platform';
import { describe, expect, it } from 'vitest';
import { localMappingUuid, parseS3Uri } from '../../../local/src/batcher/index.js';

describe('the local failed-batch destination', () => {
  it('gives each local mapping (group and topic) one stable UUID', () => {
    const uuid = localMappingUuid('apphub-streaming-micro-batcher', 'apphub.streaming.aggregates');

    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(localMappingUuid('apphub-streaming-micro-batcher', 'apphub.streaming.aggregates')).toBe(uuid);
    expect(localMappingUuid('apphub-streaming-micro-batcher', 'other')).not.toBe(uuid);
  });

  it('reads s3 URIs of an object, a prefix or a bucket, and rejects anything else in one line', () => {
    expect(parseS3Uri('s3://apphub-streaming-failed-batches/aws/lambda/x')).toEqual({
      bucket: 'apphub-streaming-failed-batches',
      key: 'aws/lambda/x',
    });
    expect(parseS3Uri('s3://apphub-streaming-failed-batches')).toEqual({
      bucket: 'apphub-streaming-failed-batches',
      key: '',
    });
    expect(() => parseS3Uri('/tmp/batch.json')).toThrow(ConfigInvalidError);
    expect(() => parseS3Uri('s3:/bucket/key')).toThrow(
      '--replay expects s3://<bucket>/<object or prefix>, got s3:/bucket/key',
    );
  });
});
