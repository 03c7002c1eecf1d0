import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  type AutoscaleJobSettings,
  type ControlPlane,
  createControlPlane,
  parseControlPlaneConfig,
  type RestoreChoice,
  type SubmitSqlResult,
  submitSql,
} from '@apphub/control-plane';
import {
  createBatcherStorage,
  parseDatasetDescriptor,
  queryDataset,
  sampleBatcherDescriptor,
} from '@apphub/microbatcher';
import { createLogger, createMetrics, type Metrics } from '@apphub/observability';
import { platform } from '@apphub/platform';
import {
  computeAggregates,
  generateSampleEvents,
  normaliseAggregate,
  type SampleAggregate,
  type SampleEvent,
} from '@apphub/sample';
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { BatcherRunner, loadLocalHandler } from '../../../local/src/batcher/index.js';
import { localControlPlaneEnv } from '../../../local/src/control-plane/local-plane.js';
import type { EmfLine } from '../../unit/observability/emf-capture.js';

export { captureEmf } from '../../unit/observability/emf-capture.js';

import { consumeRecords } from '../../../local/src/sample/consume.js';
import { produceEvents } from '../../../local/src/sample/produce.js';
import { sampleJobVariables } from '../../../local/src/sample/submit.js';
import { repoRoot } from '../../../local/src/stack/index.js';
import { aws, closerEvent, createTopic, endpoints, eventually, kafka, uniqueName } from '../helpers.js';
import { everyWindowSealed } from '../microbatcher/kafka-harness.js';

/** The root savepoint directory of the local stack (the checkpoint bucket on MinIO), as the CLI uses it. */
export const savepointRoot = localControlPlaneEnv().APPHUB_SAVEPOINT_DIR!;

/** The Lambda environment of the control-plane functions, pointed at the local stack. */
export function controlPlaneEnv(): Record<string, string> {
  return {
    ...localControlPlaneEnv(),
    APPHUB_FLINK_REST_URL: endpoints.flinkRestUrl,
    APPHUB_SQL_GATEWAY_URL: endpoints.sqlGatewayUrl,
    APPHUB_JOBS_TABLE: platform.storage.jobsTable,
    APPHUB_SAVEPOINTS_TABLE: platform.storage.savepointsTable,
    APPHUB_LEASES_TABLE: platform.storage.leasesTable,
    APPHUB_SAVEPOINT_DIR: savepointRoot,
    APPHUB_AWS_ENDPOINT_URL: endpoints.awsEndpointUrl,
  };
}

/** The EventBridge scheduled event AWS sends, limited to the given jobs. */
export function scheduledEvent(jobNames: readonly string[]): Record<string, unknown> {
  const event = JSON.parse(
    readFileSync(new URL('../../fixtures/eventbridge/scheduled-event.json', import.meta.url), 'utf8'),
  );
  return { ...event, detail: { jobNames } };
}

/**
 * Keys of the objects under an s3:// location (a savepoint or checkpoint directory), read back with
 * the AWS SDK from the local S3 endpoint (MinIO), as anyone would read them in AWS.
 */
export async function objectsUnder(location: string): Promise<string[]> {
  const match = /^s3:\/\/([^/]+)\/(.+?)\/*$/.exec(location);
  if (!match) throw new Error(`not an s3:// location: ${location}`);
  const [, bucket, prefix] = match as unknown as [string, string, string];
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2(
    { client: aws.s3 },
    { Bucket: bucket, Prefix: `${prefix}/` },
  )) {
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
  }
  return keys;
}

/** True when a snapshot's `_metadata` object exists in S3: Flink writes it last, so the snapshot is complete. */
export async function hasMetadata(location: string): Promise<boolean> {
  const prefix = /^s3:\/\/[^/]+\/(.+?)\/*$/.exec(location)?.[1];
  return (await objectsUnder(location)).includes(`${prefix}/_metadata`);
}

/**
 * A control plane on the local stack with the Powertools metrics a handler gives it (dimension
 * `Service` = `control-plane`); a test plays the middleware and publishes them (`captureEmf` reads them).
 */
export function localPlane(env: Record<string, string> = {}): ControlPlane & { metrics: Metrics } {
  const config = parseControlPlaneConfig({
    ...controlPlaneEnv(),
    APPHUB_SAVEPOINT_TIMEOUT_SECONDS: '60',
    APPHUB_RECONCILE_BACKOFF_SECONDS: '0',
    ...env,
  });
  const logger = createLogger('control-plane-it', {
    level: process.env.LOG_LEVEL === 'debug' ? 'debug' : 'warn',
  });
  const metrics = createMetrics('control-plane', logger);
  return { ...createControlPlane(config, { logger, metrics }), metrics };
}

/** Sums a metric over the EMF lines of one job, or of the service when `jobName` is undefined. */
export function metricTotal(lines: readonly EmfLine[], jobName: string | undefined, metric: string): number {
  return lines
    .filter((entry) => (jobName ? entry.JobName === jobName : entry.Service !== undefined))
    .flatMap((entry) => [entry[metric]].flat())
    .filter((value): value is number => typeof value === 'number')
    .reduce((sum, value) => sum + value, 0);
}

const template = readFileSync(path.join(repoRoot, platform.sampleJob.sqlTemplate), 'utf8');

/**
 * The sample job on its own topics, with events in two phases: phase B continues the window phase A
 * left open, so a restore that lost or doubled state changes that window's aggregate.
 */
export class SampleScenario {
  readonly jobName = uniqueName('it-cp');
  readonly inputTopic = uniqueName('it-cp-input');
  readonly outputTopic = uniqueName('it-cp-aggregates');
  readonly groupId = uniqueName('it-cp-group');
  readonly phaseA: SampleEvent[];
  readonly phaseB: SampleEvent[];
  /** Far past the data: moves the watermark beyond the last window so every window is emitted. */
  readonly closer: SampleEvent;

  constructor(seed: number) {
    const start = new Date('2026-11-29T10:00:00.000Z');
    this.phaseA = generateSampleEvents({
      count: 140,
      users: 4,
      start,
      spanMs: 210_000,
      seed,
      maxOutOfOrderMs: 3_000,
    });
    this.phaseB = generateSampleEvents({
      count: 100,
      users: 4,
      start: new Date(start.getTime() + 210_000),
      spanMs: 150_000,
      seed: seed + 1,
      maxOutOfOrderMs: 3_000,
    });
    this.closer = closerEvent('2026-11-29T10:20:00.000Z', `closer-${seed}`);
  }

  async createTopics(partitions = 1): Promise<void> {
    await Promise.all([createTopic(this.inputTopic, partitions), createTopic(this.outputTopic, 1)]);
  }

  async produce(events: readonly SampleEvent[]): Promise<void> {
    await produceEvents(kafka, this.inputTopic, events, { partition: () => 0 });
  }

  /** Both phases' aggregates, computed without Flink. */
  expected(): SampleAggregate[] {
    return computeAggregates([...this.phaseA, ...this.phaseB]);
  }

  /** Submits the sample SQL through submit-sql with a short checkpoint interval. */
  submit(
    plane: ControlPlane,
    options: {
      restore?: RestoreChoice;
      parallelism?: number;
      sqlEdit?: (sql: string) => string;
      autoscale?: AutoscaleJobSettings;
    } = {},
  ): Promise<SubmitSqlResult> {
    const variables = sampleJobVariables({
      jobName: this.jobName,
      inputTopic: this.inputTopic,
      outputTopic: this.outputTopic,
      groupId: this.groupId,
      startupMode: 'earliest-offset',
    });
    return submitSql(plane, {
      jobName: this.jobName,
      sqlTemplate: options.sqlEdit ? options.sqlEdit(template) : template,
      variables,
      restore: options.restore,
      autoscale: options.autoscale,
      sessionProperties: {
        'execution.checkpointing.interval': '2 s',
        'parallelism.default': String(options.parallelism ?? 1),
      },
    });
  }

  /** The sink topic as an upsert table: the last value per (user, window) wins. */
  async aggregates(): Promise<Map<string, SampleAggregate>> {
    const records = await consumeRecords(kafka, this.outputTopic, { timeoutMs: 5_000 });
    const table = new Map<string, SampleAggregate>();
    for (const record of records) {
      if (record.value === null) continue;
      const aggregate = normaliseAggregate(JSON.parse(record.value));
      table.set(`${aggregate.window_start}|${aggregate.user_id}`, aggregate);
    }
    return table;
  }

  /** Waits until the sink holds at least `count` windows. */
  waitForWindows(count: number, timeoutMs = 120_000): Promise<Map<string, SampleAggregate>> {
    return eventually(
      `${count} windows on ${this.outputTopic}`,
      async () => {
        const table = await this.aggregates();
        return table.size >= count ? table : undefined;
      },
      timeoutMs,
      2_000,
    );
  }

  /** Windows of phase A that its own watermark closes (they must appear before any failure is injected). */
  closedByPhaseA(): number {
    const watermark =
      Math.max(...this.phaseA.map((event) => Date.parse(event.occurred_at))) -
      platform.sampleJob.watermarkDelaySeconds * 1000;
    return computeAggregates(this.phaseA).filter((aggregate) => Date.parse(aggregate.window_end) <= watermark)
      .length;
  }
}

/** Asserts the sink holds exactly the expected aggregates: no window missing, none with a wrong count or sum. */
export async function expectExactAggregates(scenario: SampleScenario): Promise<void> {
  const expected = scenario.expected();
  const actual = await scenario.waitForWindows(expected.length, 150_000);
  const byKey = new Map<string, SampleAggregate>(expected.map((a) => [`${a.window_start}|${a.user_id}`, a]));
  expect([...actual.keys()].sort()).toEqual([...byKey.keys()].sort());
  for (const [key, aggregate] of byKey) expect(actual.get(key), key).toEqual(aggregate);
}

/** Cancels the scenario's jobs and removes its records and savepoint data. */
export async function cleanUp(plane: ControlPlane, jobName: string): Promise<void> {
  const jobs = await plane.rest.jobs().catch(() => []);
  for (const job of jobs.filter((candidate) => candidate.name === jobName)) {
    await plane.rest.cancel(job.id).catch(() => undefined);
  }
  await plane.jobs.delete(jobName).catch(() => undefined);
  const history = await plane.savepoints.history(jobName).catch(() => []);
  for (const entry of history)
    await plane.savepoints.delete(jobName, entry.savepointId).catch(() => undefined);
  await plane.storage.deleteSnapshot(`${savepointRoot}/${jobName}`, savepointRoot).catch(() => undefined);
}

/** Waits until a checkpoint of `jobId` completes after `after` (epoch ms); returns its path. */
export function checkpointAfter(plane: ControlPlane, jobId: string, after: number): Promise<string> {
  return eventually(
    `a checkpoint of ${jobId} after ${new Date(after).toISOString()}`,
    async () => {
      const latest = (await plane.rest.checkpoints(jobId)).latestCompleted;
      return latest && latest.completedAt > after ? latest.externalPath : undefined;
    },
    60_000,
    1_000,
  );
}

export { eventually, uniqueName };

/**
 * Micro-batches the scenario's sink topic through the real handler (local event source mapping),
 * seals every window, and asserts the sealed output holds each expected (user, window) exactly
 * once with its exact count and sum: no window missing or doubled after a failure and recovery.
 */
export async function expectExactSealedOutput(scenario: SampleScenario): Promise<void> {
  const descriptorInput = {
    ...sampleBatcherDescriptor,
    dataset: uniqueName('it-cp-sealed'),
    topic: scenario.outputTopic,
    idleTimeout: '5 s',
    topicPartitions: 1,
  };
  const descriptor = parseDatasetDescriptor(descriptorInput);
  const local = await loadLocalHandler(endpoints, {
    TIMESTORE_STREAMING_BATCHERS: JSON.stringify([descriptorInput]),
  });
  const runner = new BatcherRunner({
    kafka,
    mappings: [{ topic: scenario.outputTopic, groupId: uniqueName('it-cp-sealed-batcher') }],
    invoke: local.invoke,
    logger: createLogger('control-plane-test', { sink: () => undefined }),
    batchSize: 100,
    sealIntervalMs: 0,
  });
  const expected = scenario.expected();
  const range = { from: Date.parse('2026-11-29T10:00:00.000Z'), to: Date.parse('2026-11-29T11:00:00.000Z') };
  const storage = createBatcherStorage({
    bucket: platform.storage.dataLakeBucket,
    table: platform.storage.watermarkTable,
    awsEndpointUrl: endpoints.awsEndpointUrl,
    s3EndpointUrl: endpoints.s3EndpointUrl,
  });
  await runner.start();
  try {
    await eventually(
      'every aggregate micro-batched',
      async () =>
        (await queryDataset(storage, descriptor, range)).rows.length >= expected.length ? true : undefined,
      180_000,
      2_000,
    );
    // Once the topic has been quiet for the idle timeout, a sealing pass seals the remaining windows.
    await everyWindowSealed(runner, storage, descriptor, range);
  } finally {
    await runner.stop();
  }
  const rows = (await queryDataset(storage, descriptor, range)).rows.filter(
    (row) => row.values.user_id !== 'u-closer',
  );
  expect(rows.every((row) => row.status === 'sealed')).toBe(true);
  const sealed = rows.map((row) => ({
    key: `${new Date(row.values.window_start as number).toISOString()}|${row.values.user_id}`,
    event_count: Number(row.values.event_count),
    total_value: row.values.total_value,
  }));
  expect(sealed.map((row) => row.key).sort()).toEqual(
    expected.map((a) => `${a.window_start}|${a.user_id}`).sort(),
  );
  for (const aggregate of expected) {
    const row = sealed.find(
      (candidate) => candidate.key === `${aggregate.window_start}|${aggregate.user_id}`,
    );
    expect(row, aggregate.window_start).toEqual({
      key: `${aggregate.window_start}|${aggregate.user_id}`,
      event_count: aggregate.event_count,
      // Both exact: the sum of the events as DECIMAL(38, 9) text.
      total_value: aggregate.total_value,
    });
  }
}
