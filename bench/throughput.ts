import { randomUUID } from 'node:crypto';
import type { KafkaClient } from '@apphub/kafka-client';
import type { BatcherContext, DatasetDescriptor } from '@apphub/microbatcher';
import {
  handleBatcherEvent,
  PartCache,
  parseDatasetDescriptor,
  RecordedSchemas,
  S3Lake,
  sampleBatcherDescriptor,
  sealDueWindows,
} from '@apphub/microbatcher';
import { createLogger } from '@apphub/observability';
import { type LocalEndpoints, platform } from '@apphub/platform';
import { createWatermarkStore } from '@apphub/watermarks';
import type { Kafka as Kafkajs } from 'kafkajs';
import { BatcherRunner } from '../local/src/batcher/index.js';
import { localAwsClients } from '../local/src/stack/index.js';
import {
  aggregateMessage,
  benchBase,
  benchPartitions as partitions,
  benchUsers as users,
} from './records.js';

export interface ThroughputResult {
  readonly name: string;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** CPU seconds of this Node process (all its threads) during the run. */
  readonly cpuSeconds: number;
  readonly detail: string;
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** A row for `records` read since `started` (performance.now()) and `cpu` (process.cpuUsage()). */
function resultSince(
  name: string,
  records: number,
  started: number,
  cpu: NodeJS.CpuUsage,
  detail: string,
): ThroughputResult {
  const seconds = (performance.now() - started) / 1000;
  return {
    name,
    records,
    seconds,
    recordsPerSecond: records / seconds,
    cpuSeconds: cpuSecondsSince(cpu),
    detail,
  };
}

/**
 * What the handler gets, for `descriptor` on the local endpoints, with logs and metrics discarded:
 * the bench measures the batching, and the runner's own logs would interleave with its tables.
 */
export function quietBatcherContext(
  endpoints: LocalEndpoints,
  descriptor: DatasetDescriptor,
): BatcherContext {
  const aws = localAwsClients(endpoints);
  const quiet = () => undefined;
  return {
    descriptors: [descriptor],
    lake: new S3Lake(aws.s3, platform.storage.dataLakeBucket),
    store: createWatermarkStore(aws.documents, platform.storage.watermarkTable),
    // As the function's cold start creates them.
    partCache: new PartCache(),
    schemas: new RecordedSchemas(),
    logger: createLogger('bench', { sink: quiet }),
    // No metrics object: nothing is recorded or printed.
  };
}

/** A fresh topic with the bench's partitions. */
export async function createBenchTopic(kafka: KafkaClient, prefix: string): Promise<string> {
  const topic = `${prefix}-${randomUUID().slice(0, 8)}`;
  await kafka.createTopics([{ name: topic, partitions, replicationFactor: 1, config: {} }]);
  return topic;
}

/**
 * Produces `minutes` x 1000 users aggregates (as the sample job writes them) plus one closer per
 * partition to `topic`, one of {@link createBenchTopic}.
 */
export async function seedTopic(kafka: KafkaClient, topic: string, minutes: number): Promise<number> {
  let count = 0;
  const message = (user: string, start: number, partition: number, events: number) => {
    count += 1;
    return { partition, ...aggregateMessage(user, start, events) };
  };
  for (let minute = 0; minute < minutes; minute++) {
    const start = benchBase + minute * 60_000;
    const messages = Array.from({ length: users }, (_, user) =>
      message(`u-${String(user).padStart(4, '0')}`, start, user % partitions, 1 + (user % 9)),
    );
    await kafka.produce(topic, messages);
  }
  // One aggregate per partition well after the data moves every partition's event time past the last window.
  const closers = Array.from({ length: partitions }, (_, partition) =>
    message(`closer-${partition}`, benchBase + (minutes + 30) * 60_000, partition, 1),
  );
  await kafka.produce(topic, closers);
  return count;
}

/**
 * Consumes the whole topic with the project's Kafka client (the one the runner uses), doing nothing
 * per record but committing each batch: the ceiling of the end-to-end row.
 */
export async function rawConsume(
  kafka: KafkaClient,
  topic: string,
  total: number,
  run: number,
): Promise<ThroughputResult> {
  let seen = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const started = performance.now();
  const cpu = process.cpuUsage();
  const group = await kafka.consumeGroup(
    {
      groupId: `${topic}-raw-${run}`,
      topics: [topic],
      fromBeginning: true,
      // Whatever a fetch brought: the batches are as large as kafkajs's per-fetch batches.
      maxBatchRecords: total,
      batchWindowMs: 0,
      concurrentPartitions: partitions,
    },
    async (batch) => {
      seen += batch.records.length;
      await batch.commit();
      if (seen >= total) finish();
    },
  );
  await finished;
  const result = resultSince(
    `raw consume (${rawConsumeClients.platformatic}, commit per batch)`,
    seen,
    started,
    cpu,
    'ceiling',
  );
  await group.stop();
  return result;
}

/** The two clients of the raw consume rows, with the versions package.json pins. */
export const rawConsumeClients = {
  platformatic: '@platformatic/kafka 2.12.1',
  kafkajs: 'kafkajs 2.2.4',
} as const;

/**
 * The same read with kafkajs, for comparison only: a group
 * consumer that commits the last offset of every fetched batch.
 */
export async function rawConsumeKafkajs(
  kafkajs: Kafkajs,
  topic: string,
  total: number,
  run: number,
): Promise<ThroughputResult> {
  const consumer = kafkajs.consumer({
    groupId: `${topic}-raw-kafkajs-${run}`,
    maxBytesPerPartition: 16 * 1_048_576,
    maxBytes: 64 * 1_048_576,
    maxWaitTimeInMs: 100,
  });
  let seen = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: partitions,
      eachBatch: async ({ batch, resolveOffset }) => {
        seen += batch.messages.length;
        const last = batch.messages[batch.messages.length - 1];
        if (last) {
          resolveOffset(last.offset);
          await consumer.commitOffsets([
            { topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
          ]);
        }
        if (seen >= total) resolve();
      },
    });
  });
  const result = resultSince(
    `raw consume (${rawConsumeClients.kafkajs}, commit per batch)`,
    seen,
    started,
    cpu,
    'comparison only',
  );
  await consumer.disconnect();
  return result;
}

/**
 * The micro-batcher end to end on the same topic: the local runner (the same client) feeding
 * the handler's logic (a fresh dataset per run), with S3 and DynamoDB on the local endpoint, until every offset is committed
 * and every data window is sealed.
 */
export async function microBatch(
  kafka: KafkaClient,
  endpoints: LocalEndpoints,
  topic: string,
  total: number,
  batchSize: number,
  run: number,
): Promise<ThroughputResult> {
  const descriptor = parseDatasetDescriptor({
    ...sampleBatcherDescriptor,
    dataset: `${topic}-${run}`,
    topic,
    topicPartitions: partitions,
  });
  const context = quietBatcherContext(endpoints, descriptor);
  let sealed = 0;
  const runner = new BatcherRunner({
    kafka,
    mappings: [{ topic, groupId: `${topic}-batcher-${run}` }],
    logger: context.logger,
    batchSize,
    batchWindowMs: 100,
    sealIntervalMs: 0,
    invoke: async (event) => {
      const summary = await handleBatcherEvent(context, event);
      sealed += summary[descriptor.dataset]?.windowsSealed ?? 0;
    },
  });
  const started = performance.now();
  const cpu = process.cpuUsage();
  await runner.start();
  while (runner.processed < total) await new Promise((resolve) => setTimeout(resolve, 20));
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSecondsSince(cpu);
  await runner.stop();
  const final = await sealDueWindows(context, descriptor);
  const dataWindows = Math.ceil((total - partitions) / users / 10);
  if (sealed < dataWindows)
    throw new Error(`only ${sealed} of ${dataWindows} data windows sealed during the run`);
  return {
    name: `micro-batcher (batch size ${batchSize}) to sealed Parquet + watermarks`,
    records: runner.processed,
    seconds,
    recordsPerSecond: runner.processed / seconds,
    cpuSeconds,
    detail: `${runner.batches} invocations, ${sealed} windows sealed, watermark ${new Date(final.watermark ?? 0).toISOString()}`,
  };
}
