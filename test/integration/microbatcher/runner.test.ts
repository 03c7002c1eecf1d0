import {
  datasetRoot,
  eventSourceDefaults,
  parseDatasetDescriptor,
  parseEventSourceSettings,
  queryDataset,
  sampleBatcherDescriptor,
} from '@apphub/microbatcher';
import { createLogger } from '@apphub/observability';
import { describe, expect, it } from 'vitest';
import { BatcherRunner, loadLocalHandler } from '../../../local/src/batcher/index.js';
import {
  aggregate,
  lake,
  snapshotObjects,
  store,
  twiceEmittedAggregates,
} from '../../storage/microbatcher/harness.js';
import { createTopic, endpoints, eventually, kafka, uniqueName } from '../helpers.js';
import {
  committedOffsets,
  everyOffsetCommitted,
  everyWindowSealed,
  produceAggregates,
  runnersStoppedAfterAll,
} from './kafka-harness.js';

const topic = uniqueName('it-mb-runner');
const descriptorInput = {
  ...sampleBatcherDescriptor,
  dataset: uniqueName('it-mb-runner'),
  topic,
  windowDuration: '1 min',
  allowedLateness: '0 s',
  // Idle partitions stop holding the watermark back after this much processing time. Long enough that
  // a partition the runner is slow to reach under load does not count as idle (at 2 s, a loaded run
  // sealed windows early and re-sealed them as v2); the last windows seal once it has passed.
  idleTimeout: '8 s',
  topicPartitions: 3,
};
const descriptor = parseDatasetDescriptor(descriptorInput);
const logger = createLogger('runner-test', { sink: () => undefined });
const runners = runnersStoppedAfterAll();

describe('npm run batcher runner on the real topic', () => {
  it('commits nothing while the handler fails, loses nothing after a stop, then micro-batches every record', async () => {
    // Prepare: 3 partitions, 20 users x 6 minutes, each aggregate re-emitted once (at-least-once), one poison record.
    await createTopic(topic, 3);
    const records = twiceEmittedAggregates(topic);
    records.push({ ...aggregate(topic, 1, 0, 'u-bad', 0, 1), value: Buffer.from('{"user_id":') });
    await produceAggregates(topic, records);
    const groupId = uniqueName('it-mb-group');
    const local = await loadLocalHandler(endpoints, {
      TIMESTORE_STREAMING_BATCHERS: JSON.stringify([descriptorInput]),
    });
    expect(local.usesSampleDescriptor).toBe(false);

    // Act 1: a handler that always fails, with no on-failure destination (retried until the records
    // expire, which they do not here); stop while it retries.
    let attempts = 0;
    const failing = new BatcherRunner({
      kafka,
      mappings: [{ topic, groupId }],
      logger,
      settings: parseEventSourceSettings(
        { ...eventSourceDefaults, onFailureDestination: 'none', retryAttempts: -1 },
        'test settings',
      ),
      retryDelayMs: 50,
      sealIntervalMs: 0,
      invoke: async () => {
        attempts += 1;
        throw new Error('downstream unavailable');
      },
    });
    await failing.start();
    await eventually('six failed attempts', async () => (attempts >= 6 ? true : undefined), 60_000, 200);
    await failing.stop();

    // Assess 1: still retrying (the records have not expired), nothing committed, nothing stored.
    expect(failing.processed).toBe(0);
    expect(failing.failedBatches).toBe(0);
    expect(Object.values(await committedOffsets(groupId, topic))).toEqual(['-1', '-1', '-1']);

    // Act 2: the real handler in the same group, batches of 25.
    const runner = new BatcherRunner({
      kafka,
      mappings: [{ topic, groupId }],
      logger,
      invoke: local.invoke,
      batchSize: 25,
      batchWindowMs: 100,
      sealIntervalMs: 0,
    });
    runners.push(runner);
    await runner.start();
    await everyOffsetCommitted(groupId, topic, records.length);
    await everyWindowSealed(runner, { lake, store }, descriptor, {
      from: Date.UTC(2026, 10, 29, 10),
      to: Date.UTC(2026, 10, 29, 11),
    });

    // Assess 2
    expect(runner.processed).toBe(records.length);
    expect(runner.batches).toBeGreaterThanOrEqual(Math.ceil(records.length / 25));
    const result = await queryDataset({ lake, store }, descriptor, {
      from: Date.UTC(2026, 10, 29, 10),
      to: Date.UTC(2026, 10, 29, 11),
    });
    expect(result.rows).toHaveLength(120);
    expect(result.rows.every((row) => row.status === 'sealed')).toBe(true);
    // All three partitions hold the watermark back, so no window sealed before its last partition was read.
    const manifests = Object.keys(await snapshotObjects(`${datasetRoot(descriptor)}/manifests/`));
    expect(manifests.filter((key) => !key.includes('/v000001-'))).toEqual([]);
    expect(
      result.rows.find(
        (row) => row.values.user_id === 'u-007' && row.values.window_start === Date.UTC(2026, 10, 29, 10, 3),
      )?.values.event_count,
    ).toBe(110n);
    const letters = Object.keys(await snapshotObjects(`${datasetRoot(descriptor)}/dead-letter/`));
    expect(letters).toHaveLength(1);
  });
});
