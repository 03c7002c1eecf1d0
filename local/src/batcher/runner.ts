import { encodeKafkaEvent, type KafkaEvent, type RawKafkaRecord } from '@apphub/kafka-event';
import type { Logger } from '@apphub/observability';
import { describeError } from '@apphub/platform';
import type { Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs';

export interface BatcherRunnerOptions {
  readonly kafka: Kafka;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** The Lambda handler (or anything with its signature) to invoke per batch. */
  readonly invoke: (event: unknown) => Promise<unknown>;
  readonly logger: Logger;
  /** Most records per invocation, like the event source mapping's BatchSize (default 100). */
  readonly batchSize?: number;
  /**
   * How long the broker may hold a fetch to fill a batch, like MaximumBatchingWindowInSeconds
   * (default 500 ms). Implemented with the fetch's max wait and a minimum size of one batch.
   */
  readonly batchWindowMs?: number;
  /** Read from the beginning when the group has no committed offsets (default true). */
  readonly fromBeginning?: boolean;
  /** Interval of scheduled sealing passes, as an EventBridge rule would send (0 = none; default 15 s). */
  readonly sealIntervalMs?: number;
  /**
   * Partitions processed at the same time, each with its own invocations, as Lambda scales an MSK
   * event source mapping up to one concurrent invocation per partition (default 3).
   */
  readonly concurrentPartitions?: number;
  /** Bootstrap servers named in the events. */
  readonly bootstrapServers?: string;
  /** Called after each successful, committed batch. */
  readonly onBatch?: (batch: {
    topic: string;
    partition: number;
    records: number;
    nextOffset: string;
  }) => void;
}

/**
 * Runs the micro-batcher locally the way Lambda's Kafka event source mapping does: a consumer group
 * on the real topics, MSK-shaped events of at most `batchSize` records of one partition, offsets
 * committed only after the handler succeeds, a failed batch retried (with backoff) until it
 * succeeds. `stop()` lets the batch in flight finish (or abandons its retries uncommitted) and
 * leaves the group; nothing is committed early.
 */
export class BatcherRunner {
  private consumer: Consumer | undefined;
  private stopping = false;
  private sealTimer: NodeJS.Timeout | undefined;
  private sealing: Promise<unknown> = Promise.resolve();
  private wakeRetry: (() => void) | undefined;
  /** Records handed to the handler and committed. */
  processed = 0;
  batches = 0;

  constructor(private readonly options: BatcherRunnerOptions) {}

  async start(): Promise<void> {
    const { kafka, groupId, topics } = this.options;
    const batchWindowMs = this.options.batchWindowMs ?? 500;
    const batchSize = this.options.batchSize ?? 100;
    const consumer = kafka.consumer({
      groupId,
      maxWaitTimeInMs: Math.max(batchWindowMs, 1),
      // With a window the broker waits for about one batch of data (or the window) before answering.
      minBytes: batchWindowMs > 0 ? Math.min(batchSize * 100, 1_048_576) : 1,
      maxBytesPerPartition: 16 * 1_048_576,
      maxBytes: 64 * 1_048_576,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: this.options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrentPartitions ?? 3,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (let index = 0; index < batch.messages.length; index += batchSize) {
          if (this.stopping || !isRunning() || isStale()) return;
          const chunk = batch.messages.slice(index, index + batchSize);
          const event = this.toEvent(batch.topic, batch.partition, chunk);
          if (!(await this.invokeUntilSuccess(event, `${batch.topic}-${batch.partition}`))) return;
          const last = chunk[chunk.length - 1]!.offset;
          const nextOffset = (BigInt(last) + 1n).toString();
          resolveOffset(last);
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: nextOffset },
          ]);
          this.processed += chunk.length;
          this.batches += 1;
          this.options.onBatch?.({
            topic: batch.topic,
            partition: batch.partition,
            records: chunk.length,
            nextOffset,
          });
          await heartbeat();
        }
      },
    });
    const sealIntervalMs = this.options.sealIntervalMs ?? 15_000;
    if (sealIntervalMs > 0) this.sealTimer = setInterval(() => this.runSealingPass(), sealIntervalMs);
  }

  /** Sends the scheduled event the deployed function gets from EventBridge: a sealing pass. */
  runSealingPass(): Promise<unknown> {
    this.sealing = this.sealing.then(() =>
      this.options
        .invoke({
          source: 'aws.events',
          'detail-type': 'Scheduled Event',
          time: new Date().toISOString(),
          detail: {},
        })
        .catch((error: unknown) =>
          this.options.logger.warn('sealing pass failed', { error: describeError(error) }),
        ),
    );
    return this.sealing;
  }

  /** Stops after the batch in flight; its offsets are committed only if its invocation succeeded. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sealTimer) clearInterval(this.sealTimer);
    this.wakeRetry?.();
    await this.consumer?.disconnect();
    await this.sealing;
  }

  private toEvent(topic: string, partition: number, messages: readonly KafkaMessage[]): KafkaEvent {
    const records: RawKafkaRecord[] = messages.map((message) => ({
      topic,
      partition,
      offset: Number(message.offset),
      timestamp: Number(message.timestamp),
      key: message.key ?? null,
      value: message.value ?? null,
      headers: toHeaders(message.headers),
    }));
    return encodeKafkaEvent(records, {
      eventSource: 'aws:kafka',
      eventSourceArn: 'arn:aws:kafka:local:000000000000:cluster/apphub-local/local',
      ...(this.options.bootstrapServers ? { bootstrapServers: this.options.bootstrapServers } : {}),
    });
  }

  /** Like Lambda: retry the whole batch until it succeeds. False when stopped first (nothing committed). */
  private async invokeUntilSuccess(event: KafkaEvent, where: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        // The event holds only JSON values (strings, numbers, arrays), exactly what Lambda delivers.
        await this.options.invoke(event);
        return true;
      } catch (error) {
        const delayMs = Math.min(30_000, 500 * 2 ** (attempt - 1));
        this.options.logger.error('batch failed; retrying it', {
          partition: where,
          attempt,
          retryInMs: delayMs,
          error: describeError(error),
        });
        if (this.stopping) return false;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delayMs);
          this.wakeRetry = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        if (this.stopping) return false;
      }
    }
  }
}

function toHeaders(headers: IHeaders | undefined): { name: string; value: Buffer }[] {
  return Object.entries(headers ?? {}).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value])
      .filter((item) => item !== undefined)
      .map((item) => ({ name, value: Buffer.isBuffer(item) ? item : Buffer.from(String(item)) })),
  );
}
