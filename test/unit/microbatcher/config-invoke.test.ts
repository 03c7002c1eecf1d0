import {
  BatcherEventUnsupportedError,
  handleBatcherEvent,
  isScheduledEvent,
  parseBatcherConfig,
  sampleBatchersJson,
} from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';

const environment = {
  TIMESTORE_STREAMING_BATCHERS: sampleBatchersJson,
  APPHUB_DATA_LAKE_BUCKET: 'apphub-streaming-lake',
  APPHUB_WATERMARK_TABLE: 'streaming_watermarks',
};

describe('parseBatcherConfig', () => {
  it('parses the function environment once into descriptors, bucket, table and optional endpoint', () => {
    const config = parseBatcherConfig({
      ...environment,
      APPHUB_AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_REGION: 'eu-west-1',
    });
    expect(config).toMatchObject({
      bucket: 'apphub-streaming-lake',
      table: 'streaming_watermarks',
      awsEndpointUrl: 'http://127.0.0.1:4566',
    });
    expect(config.descriptors.map((descriptor) => descriptor.dataset)).toEqual(['user-activity-1m']);
    expect(parseBatcherConfig(environment).awsEndpointUrl).toBeUndefined();
  });

  it('fails in one line naming the missing variable or the bad descriptor field', () => {
    expect(() => parseBatcherConfig({ ...environment, APPHUB_WATERMARK_TABLE: undefined })).toThrow(
      /^micro-batcher environment is invalid: APPHUB_WATERMARK_TABLE: is required$/,
    );
    const bad = JSON.stringify([{ ...JSON.parse(sampleBatchersJson)[0], upsertKey: [] }]);
    expect(() => parseBatcherConfig({ ...environment, TIMESTORE_STREAMING_BATCHERS: bad })).toThrow(
      /^TIMESTORE_STREAMING_BATCHERS\[0\] \(dataset user-activity-1m\) is invalid: upsertKey: /,
    );
  });
});

describe('handleBatcherEvent', () => {
  it('tells scheduled events apart and rejects payloads that are neither Kafka nor scheduled events', async () => {
    expect(
      isScheduledEvent({
        source: 'aws.events',
        'detail-type': 'Scheduled Event',
        time: '2026-11-29T10:00:00Z',
      }),
    ).toBe(true);
    expect(isScheduledEvent({ source: 'aws.s3' })).toBe(false);
    const context = { descriptors: [] } as unknown as Parameters<typeof handleBatcherEvent>[0];
    await expect(handleBatcherEvent(context, { Records: [] })).rejects.toThrow(BatcherEventUnsupportedError);
  });
});
