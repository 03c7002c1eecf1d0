import { sampleBatchersJson } from '@apphub/microbatcher';
import { parseDeployedSmokeConfig, runDeployedSmoke, SmokeRequestInvalidError } from '@apphub/smoke';
import { describe, expect, it } from 'vitest';

/** The smoke function's environment as the functions stack sets it (MSK mode). */
const environment = {
  APPHUB_KAFKA_BOOTSTRAP_SERVERS: 'b-1.msk.internal:9094,b-2.msk.internal:9094',
  APPHUB_KAFKA_SECURITY: '{"protocol":"SSL"}',
  TIMESTORE_STREAMING_BATCHERS: sampleBatchersJson,
  APPHUB_DATA_LAKE_BUCKET: 'apphub-lake-123',
  APPHUB_WATERMARK_TABLE: 'AppHubStreamingStorage-StreamingWatermarks-1A2B',
  APPHUB_FLINK_REST_URL: 'http://jobmanager.apphubstreaming.internal:8081/',
  APPHUB_MICRO_BATCHER_FUNCTION: 'AppHubStreamingFunctions-MicroBatcher-1A2B',
  LOG_LEVEL: 'info',
};

describe("the smoke function's configuration", () => {
  it('reads the Kafka, lake, Flink and micro-batcher settings the stack gives it', () => {
    const config = parseDeployedSmokeConfig(environment);

    expect(config.kafka).toEqual({
      brokers: ['b-1.msk.internal:9094', 'b-2.msk.internal:9094'],
      security: { protocol: 'SSL' },
      secretArn: undefined,
    });
    expect(config.batcher.bucket).toBe('apphub-lake-123');
    expect(config.batcher.descriptors.map((descriptor) => descriptor.dataset)).toEqual(['user-activity-1m']);
    expect(config.flinkRestUrl).toBe('http://jobmanager.apphubstreaming.internal:8081');
    expect(config.microBatcherFunction).toBe('AppHubStreamingFunctions-MicroBatcher-1A2B');
  });

  it('fails in one line naming a missing variable', () => {
    const { APPHUB_MICRO_BATCHER_FUNCTION: _, ...missing } = environment;

    expect(() => parseDeployedSmokeConfig(missing)).toThrow(
      /^smoke environment is invalid: APPHUB_MICRO_BATCHER_FUNCTION: /,
    );
  });

  it('refuses a request other than {} or {"runId"} before contacting anything', async () => {
    const config = parseDeployedSmokeConfig(environment);
    const lambda = {
      send: async () => {
        throw new Error('not called');
      },
    };

    await expect(
      runDeployedSmoke(config, { lambda }, { runId: 'Not An Id' }, Date.now()),
    ).rejects.toBeInstanceOf(SmokeRequestInvalidError);
    await expect(runDeployedSmoke(config, { lambda }, { topic: 'x' }, Date.now())).rejects.toThrow(
      'the smoke request is {} or {"runId": "<lower-case letters, digits, dashes>"}',
    );
  });
});
