import {
  eventSourceDefaults,
  parseDatasetDescriptor,
  parseEventSourceSettings,
  queryDataset,
  sampleBatcherDescriptor,
} from '@apphub/microbatcher';
import { createLogger } from '@apphub/observability';
import { describe, expect, it } from 'vitest';
import { BatcherRunner, loadLocalHandler } from '../../../local/src/batcher/index.js';
import { componentProcess, getJson } from '../../../local/src/stack/index.js';
import { lake, store, twiceEmittedAggregates } from '../../storage/microbatcher/harness.js';
import {
  createTopic,
  endpoints,
  eventually,
  restartedBySupervisor,
  tlsKafka,
  uniqueName,
} from '../helpers.js';
import {
  everyOffsetCommitted,
  produceAggregates,
  runnersStoppedAfterAll,
} from '../microbatcher/kafka-harness.js';

const runners = runnersStoppedAfterAll();

describe('processes supervised as ECS supervises tasks', () => {
  it('restarts MinIO and a TaskManager killed with SIGKILL, and the micro-batcher keeps its exactly-once result', async () => {
    // Prepare: 3 partitions, 20 users x 6 minutes, each aggregate emitted twice.
    const topic = uniqueName('it-supervised');
    const descriptorInput = {
      ...sampleBatcherDescriptor,
      dataset: topic,
      topic,
      windowDuration: '1 min',
      allowedLateness: '0 s',
      idleTimeout: '2 s',
      topicPartitions: 3,
    };
    const descriptor = parseDatasetDescriptor(descriptorInput);
    await createTopic(topic, 3);
    const records = twiceEmittedAggregates(topic);
    await produceAggregates(topic, records);
    let outageRetries = 0;
    const local = await loadLocalHandler(
      endpoints,
      { TIMESTORE_STREAMING_BATCHERS: JSON.stringify([descriptorInput]) },
      {
        logger: {
          sink: (line) => {
            if (line.includes('storage outage')) outageRetries += 1;
          },
        },
      },
    );
    const groupId = uniqueName('it-supervised-group');
    let invocations = 0;
    let failures = 0;
    // Retried until it succeeds (no destination): this test is about the storage coming back, not about
    // giving a batch up.
    const runner = new BatcherRunner({
      kafka: tlsKafka,
      mappings: [{ topic, groupId }],
      logger: createLogger('supervision-test', { sink: () => undefined }),
      settings: parseEventSourceSettings(
        { ...eventSourceDefaults, batchSize: 10, onFailureDestination: 'none', retryAttempts: -1 },
        'test settings',
      ),
      batchWindowMs: 50,
      retryDelayMs: 200,
      sealIntervalMs: 0,
      invoke: async (event) => {
        invocations += 1;
        try {
          return await local.invoke(event);
        } catch (error) {
          failures += 1;
          throw error;
        }
      },
    });
    runners.push(runner);

    // Act: MinIO dies a few batches into the run; a TaskManager dies too.
    const minio = (await componentProcess('minio'))!;
    const taskManager = (await componentProcess('taskmanager-1'))!;
    await runner.start();
    await eventually('a few batches', async () => (invocations >= 3 ? true : undefined), 60_000, 50);
    process.kill(minio.pid, 'SIGKILL');
    process.kill(taskManager.pid, 'SIGKILL');

    // Assess: supervisord brought both back without a command.
    await restartedBySupervisor('minio', minio.pid);
    const restartedTaskManager = await restartedBySupervisor('taskmanager-1', taskManager.pid);
    await eventually('the restarted TaskManager to register', async () => {
      const list = await getJson<{ taskmanagers: { id: string }[] }>(
        `${endpoints.flinkRestUrl}/taskmanagers`,
      );
      return list?.taskmanagers.some((tm) => tm.id === restartedTaskManager.resourceId) ? true : undefined;
    });
    await everyOffsetCommitted(groupId, topic, records.length, 180_000);
    await eventually('every window sealed', async () => {
      await runner.runSealingPass();
      const result = await queryDataset({ lake, store }, descriptor, {
        from: Date.UTC(2026, 10, 29, 10),
        to: Date.UTC(2026, 10, 29, 11),
      });
      return result.rows.length === 120 && result.rows.every((row) => row.status === 'sealed')
        ? result
        : undefined;
    });
    const result = await queryDataset({ lake, store }, descriptor, {
      from: Date.UTC(2026, 10, 29, 10),
      to: Date.UTC(2026, 10, 29, 11),
    });
    // The outage was real, and the handler rode it out inside its invocations: batches were delayed,
    // none failed back to the mapping.
    expect(outageRetries).toBeGreaterThan(0);
    expect(failures).toBe(0);
    expect(runner.processed).toBe(records.length);
    // One row per user and window, holding the later (higher) count of the two emissions.
    const keys = new Set(result.rows.map((row) => `${row.values.user_id}|${row.values.window_start}`));
    expect(keys.size).toBe(120);
    for (const row of result.rows) {
      const user = Number(String(row.values.user_id).slice(2));
      const minute = (Number(row.values.window_start) - Date.UTC(2026, 10, 29, 10)) / 60_000;
      expect(row.values.event_count).toBe(BigInt(user + minute + 100));
    }
  });
});
