import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { KafkaEvent } from '@apphub/kafka-event';
import {
  datasetRoot,
  eventSourceDefaults,
  parseDatasetDescriptor,
  parseEventSourceSettings,
  queryDataset,
  sampleBatcherDescriptor,
} from '@apphub/microbatcher';
import { createLogger } from '@apphub/observability';
import { fromScaled, toScaled } from '@apphub/sample';
import { describe, expect, it } from 'vitest';
import {
  BatcherRunner,
  FailedBatchStore,
  LOCAL_FAILED_BATCH_BUCKET,
  loadLocalHandler,
  localMappingUuid,
} from '../../../local/src/batcher/index.js';
import { repoRoot } from '../../../local/src/stack/index.js';
import { aggregate, base, lake, minute, snapshotObjects, store } from '../../storage/microbatcher/harness.js';
import { aws, createTopic, endpoints, eventually, kafka, uniqueName } from '../helpers.js';
import { committedOffsets, produceAggregates, runnersStoppedAfterAll } from './kafka-harness.js';

const exec = promisify(execFile);
const topic = uniqueName('it-mb-failed');
const groupId = uniqueName('it-mb-failed-group');
const descriptorInput = {
  ...sampleBatcherDescriptor,
  dataset: uniqueName('it-mb-failed'),
  topic,
  windowDuration: '1 min',
  allowedLateness: '0 s',
  idleTimeout: '2 s',
  topicPartitions: 2,
};
const descriptor = parseDatasetDescriptor(descriptorInput);
// The mapping's settings, with 2 retries: the failing batch is invoked 3 times, then leaves.
const settings = parseEventSourceSettings({ ...eventSourceDefaults, retryAttempts: 2 }, 'test settings');
const destination = new FailedBatchStore(aws.s3);
const mappingPrefix = `aws/lambda/${localMappingUuid(groupId, topic)}/`;
const range = { from: base, to: base + 10 * minute };
const runners = runnersStoppedAfterAll();

/** Whether a Lambda Kafka event holds a record of user `user` (a scheduled sealing event holds none). */
function holdsUser(event: unknown, user: string): boolean {
  return Object.values((event as Partial<KafkaEvent>).records ?? {})
    .flat()
    .some((record) =>
      Buffer.from(record.key ?? '', 'base64')
        .toString('utf8')
        .includes(`"${user}"`),
    );
}

/** The rows a run in which nothing failed ends with: the last record per key (one partition per key). */
function expectedRows(records: ReturnType<typeof aggregate>[]) {
  const latest = new Map<string, Record<string, unknown>>();
  for (const record of records) {
    const value = JSON.parse(record.value!.toString('utf8'));
    latest.set(`${value.window_start}|${value.user_id}`, value);
  }
  return [...latest.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, value]) => ({
      user_id: value.user_id,
      window_start: Date.parse(value.window_start as string),
      event_count: BigInt(value.event_count as number),
      // The hybrid read gives a decimal as its exact text at the column's scale.
      total_value: fromScaled(toScaled(value.total_value as number)),
    }));
}

async function queriedRows() {
  const result = await queryDataset({ lake, store }, descriptor, range);
  return {
    statuses: new Set(result.rows.map((row) => row.status)),
    rows: result.rows
      .map((row) => ({
        user_id: row.values.user_id,
        window_start: row.values.window_start,
        event_count: row.values.event_count,
        total_value: row.values.total_value,
      }))
      .sort((a, b) =>
        `${new Date(a.window_start as number).toISOString()}|${a.user_id}`.localeCompare(
          `${new Date(b.window_start as number).toISOString()}|${b.user_id}`,
        ),
      ),
  };
}

describe('a batch that keeps failing, on the real topic and the local S3 endpoint', () => {
  it('goes to the on-failure destination after the configured retries, is committed, and --replay restores the exact result', async () => {
    // Prepare: 2 partitions; 6 users x 5 minutes, each aggregate re-emitted with a higher count. Partition 1
    // also carries u-poison (minute 1): every batch holding it fails until the fault is lifted.
    await createTopic(topic, 2);
    const records: ReturnType<typeof aggregate>[] = [];
    for (let windowMinute = 0; windowMinute < 5; windowMinute++) {
      for (let user = 0; user < 6; user++) {
        const id = `u-${String(user).padStart(3, '0')}`;
        records.push(aggregate(topic, user % 2, 0, id, windowMinute, user + windowMinute));
        if (windowMinute === 1 && user === 3) records.push(aggregate(topic, 1, 0, 'u-poison', 1, 99));
        records.push(aggregate(topic, user % 2, 0, id, windowMinute, user + windowMinute + 100));
      }
    }
    await produceAggregates(topic, records);
    const local = await loadLocalHandler(endpoints, {
      TIMESTORE_STREAMING_BATCHERS: JSON.stringify([descriptorInput]),
    });
    let poisonInvocations = 0;
    const runner = new BatcherRunner({
      kafka,
      mappings: [{ topic, groupId }],
      logger: createLogger('failed-batches-test', { sink: () => undefined }),
      settings,
      batchSize: 5,
      batchWindowMs: 100,
      retryDelayMs: 50,
      sealIntervalMs: 0,
      destination,
      // The deployed handler, with a fault injected for batches holding u-poison (a bug, say).
      invoke: async (event) => {
        if (holdsUser(event, 'u-poison')) {
          poisonInvocations += 1;
          throw new Error('injected failure for u-poison');
        }
        return local.invoke(event);
      },
    });
    runners.push(runner);

    // Act 1: run until every offset is committed, the failing batch's included.
    await runner.start();
    const perPartition = [0, 1].map(
      (partition) => records.filter((record) => record.partition === partition).length,
    );
    await eventually(
      'every offset committed',
      async () => {
        const offsets = await committedOffsets(groupId, topic);
        return perPartition.every((count, partition) => Number(offsets[partition]) === count)
          ? offsets
          : undefined;
      },
      120_000,
      500,
    );

    // Assess 1: the failing batch was invoked 1 + retryAttempts times, then written in Lambda's format.
    expect(poisonInvocations).toBe(settings.retryAttempts + 1);
    expect(runner.failedBatches).toBe(1);
    const keys = await destination.keysAt(mappingPrefix);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(
      new RegExp(
        `^${mappingPrefix}${topic}-1/\\d{4}/\\d{2}/\\d{2}/\\d{4}-\\d{2}-\\d{2}T\\d{2}\\.\\d{2}\\.\\d{2}-[0-9a-f-]{36}$`,
      ),
    );
    const failed = await destination.read(keys[0]!);
    expect(failed.condition).toBe('RetryAttemptsExhausted');
    expect(failed.invocations).toBe(settings.retryAttempts + 1);
    expect(failed.partitions.map((part) => part.topicPartition)).toEqual([`${topic}-1`]);
    const failedPart = failed.partitions[0]!;
    expect(failedPart.records).toBeLessThanOrEqual(5);
    expect(holdsUser(failed.event, 'u-poison')).toBe(true);
    expect(runner.processed).toBe(records.length - failedPart.records);

    // Act 2: the runner went on, so every window seals without the failed batch's records.
    const expected = expectedRows(records);
    const withoutFailed = await eventually(
      'every window sealed',
      async () => {
        await runner.runSealingPass();
        const result = await queriedRows();
        return result.rows.length > 0 && result.statuses.size === 1 && result.statuses.has('sealed')
          ? result
          : undefined;
      },
      60_000,
      1_000,
    );
    await runner.stop();
    expect(withoutFailed.rows).not.toEqual(expected);
    expect(withoutFailed.rows.some((row) => row.user_id === 'u-poison')).toBe(false);

    // Act 3: the fault is gone; replay the destination's objects through the CLI, deleting them after.
    const replay = await exec(
      path.join(repoRoot, 'node_modules/.bin/tsx'),
      [
        path.join(repoRoot, 'local/src/cli/batcher.ts'),
        '--replay',
        `s3://${LOCAL_FAILED_BATCH_BUCKET}/${mappingPrefix}`,
        '--delete',
      ],
      {
        cwd: repoRoot,
        env: { ...process.env, TIMESTORE_STREAMING_BATCHERS: JSON.stringify([descriptorInput]) },
      },
    );

    // Assess 3: the exact result of a run in which nothing failed, every window sealed again.
    expect(replay.stdout).toContain(
      `replayed s3://${LOCAL_FAILED_BATCH_BUCKET}/${keys[0]}: ${topic}-1 offsets ${failedPart.firstOffset}-${failedPart.lastOffset} (${failedPart.records} records)`,
    );
    expect(replay.stdout).toContain('; deleted');
    expect(replay.stderr).toContain(`replayed 1 failed batches (${failedPart.records} records)`);
    const afterReplay = await queriedRows();
    expect(afterReplay.rows).toEqual(expected);
    expect([...afterReplay.statuses]).toEqual(['sealed']);
    const manifests = Object.keys(await snapshotObjects(`${datasetRoot(descriptor)}/manifests/`));
    expect(manifests.some((key) => key.includes('/v000002-'))).toBe(true);
    expect(await destination.keysAt(mappingPrefix)).toEqual([]);
  });
});
