import { randomUUID } from 'node:crypto';
import { encodeKafkaEvent, type KafkaEvent, type RawKafkaRecord } from '@apphub/kafka-event';
import {
  decideAfterFailure,
  type EventSourceSettings,
  eventSourceDefaults,
  type FailedBatchDecision,
} from '@apphub/microbatcher';
import type { Logger } from '@apphub/observability';
import { describeError, parseLocalEndpoints } from '@apphub/platform';
import type { Admin, Consumer, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import { localAwsClients } from '../stack/index.js';
import { FailedBatchStore, localMappingUuid } from './failed-batches.js';
import { LOCAL_FUNCTION_ARN } from './local-handler.js';

/** How often a member heartbeats while an invocation runs (kafkajs' default heartbeat interval). */
const HEARTBEAT_DURING_INVOCATION_MS = 3_000;

/** How a batch left the runner; its offsets are committed in every case. */
export type BatchOutcome =
  /** The handler succeeded. */
  | { readonly kind: 'processed' }
  /** Its retries ran out and its invocation record was written to the on-failure destination. */
  | { readonly kind: 'sent-to-destination'; readonly uri: string; readonly invocations: number }
  /** No destination, and its records expired in Kafka before it succeeded (Lambda drops it too). */
  | { readonly kind: 'dropped'; readonly invocations: number };

/** One event source mapping: a topic read by a consumer group of its own (consumerGroupIdFor). */
export interface LocalMappingTarget {
  readonly topic: string;
  readonly groupId: string;
}

export interface BatcherRunnerOptions {
  readonly kafka: Kafka;
  /** The mappings to run, one per topic, as the CDK declares one event source per topic. */
  readonly mappings: readonly LocalMappingTarget[];
  /** The Lambda handler (or anything with its signature) to invoke per batch. */
  readonly invoke: (event: unknown) => Promise<unknown>;
  readonly logger: Logger;
  /**
   * The event source mapping's settings: batch size, batching window, starting position, retries
   * and on-failure destination (`npm run batcher` reads the CDK's, from cdk.json). Default: the
   * defaults the CDK synthesizes.
   */
  readonly settings?: EventSourceSettings;
  /** Overrides settings.batchSize (local experiments and tests). */
  readonly batchSize?: number;
  /**
   * Overrides settings.batchingWindowSeconds, in milliseconds (local experiments and tests).
   * Implemented with the fetch's max wait and a minimum size of about one batch.
   */
  readonly batchWindowMs?: number;
  /** Overrides settings.startingPosition: read from the beginning when the group has no committed offsets. */
  readonly fromBeginning?: boolean;
  /** The on-failure destination when settings say s3 (default: LOCAL_FAILED_BATCH_BUCKET on the local endpoint). */
  readonly destination?: FailedBatchStore;
  /** Delay before the first retry of a failed batch; it doubles per retry up to 30 s (default 500 ms). */
  readonly retryDelayMs?: number;
  /** Interval of scheduled sealing passes, as an EventBridge rule would send (0 = none; default 15 s). */
  readonly sealIntervalMs?: number;
  /**
   * Partitions processed at the same time, each with its own invocations, as Lambda scales an MSK
   * event source mapping up to one concurrent invocation per partition (default 3).
   */
  readonly concurrentPartitions?: number;
  /** Bootstrap servers named in the events. */
  readonly bootstrapServers?: string;
  /** Called after each committed batch, with how it left. */
  readonly onBatch?: (batch: {
    topic: string;
    partition: number;
    records: number;
    nextOffset: string;
    outcome: BatchOutcome;
  }) => void;
}

/**
 * Runs the micro-batcher locally the way Lambda's Kafka event source mappings do: per mapping, a
 * consumer group of its own on its real topic, MSK-shaped events of at most `batchSize` records of one partition, offsets
 * committed only after the handler succeeds or the batch has left as the mapping lets it: after
 * `retryAttempts` retries (with backoff) its invocation record goes to the on-failure destination,
 * in Lambda's format and key layout, and the partition goes on. `stop()` lets the batch in flight
 * finish (or abandons its retries uncommitted) and leaves the group; nothing is committed early.
 */
export class BatcherRunner {
  private readonly consumers: Consumer[] = [];
  private stopping = false;
  private sealTimer: NodeJS.Timeout | undefined;
  private sealing: Promise<unknown> = Promise.resolve();
  private wakeRetry: (() => void) | undefined;
  private admin: Promise<Admin> | undefined;
  private destination: FailedBatchStore | undefined;
  private readonly settings: EventSourceSettings;
  /** Records the handler processed, committed. */
  processed = 0;
  /** Batches the handler processed, committed. */
  batches = 0;
  /** Batches written to the on-failure destination, committed. */
  failedBatches = 0;

  constructor(private readonly options: BatcherRunnerOptions) {
    this.settings = options.settings ?? eventSourceDefaults;
  }

  async start(): Promise<void> {
    for (const mapping of this.options.mappings) await this.startMapping(mapping);
    const sealIntervalMs = this.options.sealIntervalMs ?? 15_000;
    if (sealIntervalMs > 0) this.sealTimer = setInterval(() => this.runSealingPass(), sealIntervalMs);
  }

  /** One mapping's consumer: batches of its topic, committed as the mapping commits them. */
  private async startMapping({ topic, groupId }: LocalMappingTarget): Promise<void> {
    const { kafka } = this.options;
    const batchWindowMs = this.options.batchWindowMs ?? this.settings.batchingWindowSeconds * 1000;
    const batchSize = this.options.batchSize ?? this.settings.batchSize;
    const fromBeginning = this.options.fromBeginning ?? this.settings.startingPosition === 'TRIM_HORIZON';
    const consumer = kafka.consumer({
      groupId,
      maxWaitTimeInMs: Math.max(batchWindowMs, 1),
      // With a window the broker waits for about one batch of data (or the window) before answering.
      minBytes: batchWindowMs > 0 ? Math.min(batchSize * 100, 1_048_576) : 1,
      maxBytesPerPartition: 16 * 1_048_576,
      maxBytes: 64 * 1_048_576,
    });
    this.consumers.push(consumer);
    // kafkajs restarts a consumer after a retriable error; any other leaves the mapping without a
    // consumer while the process lives, so it is said loudly.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart)
        this.options.logger.error('the consumer stopped and will not restart; restart the runner', {
          topic,
          groupId,
          error: describeError(payload.error),
        });
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.concurrentPartitions ?? 3,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        for (let index = 0; index < batch.messages.length; index += batchSize) {
          if (this.stopping || !isRunning() || isStale()) return;
          const chunk = batch.messages.slice(index, index + batchSize);
          const event = this.toEvent(batch.topic, batch.partition, chunk);
          const outcome = await this.invokeAsMapping(
            event,
            { topic: batch.topic, groupId },
            batch.partition,
            chunk[0]!.offset,
            heartbeat,
          );
          if (outcome === undefined) return;
          const last = chunk[chunk.length - 1]!.offset;
          const nextOffset = (BigInt(last) + 1n).toString();
          resolveOffset(last);
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: nextOffset },
          ]);
          if (outcome.kind === 'processed') {
            this.processed += chunk.length;
            this.batches += 1;
          } else if (outcome.kind === 'sent-to-destination') {
            this.failedBatches += 1;
          }
          this.options.onBatch?.({
            topic: batch.topic,
            partition: batch.partition,
            records: chunk.length,
            nextOffset,
            outcome,
          });
          await heartbeat();
        }
      },
    });
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

  /** Stops after the batch in flight; its offsets are committed only if it left (succeeded or stored). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.sealTimer) clearInterval(this.sealTimer);
    this.wakeRetry?.();
    await Promise.all(this.consumers.map((consumer) => consumer.disconnect()));
    await this.sealing;
    await (await this.admin)?.disconnect();
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

  /**
   * Invokes the handler with a batch as the event source mapping would: retried while
   * decideAfterFailure says so, then written to the on-failure destination (or, without one, dropped
   * once its records expired). Undefined when stopped first: nothing may be committed.
   */
  private async invokeAsMapping(
    event: KafkaEvent,
    mapping: LocalMappingTarget,
    partition: number,
    firstOffset: string,
    heartbeat: () => Promise<void>,
  ): Promise<BatchOutcome | undefined> {
    for (let invocations = 1; ; invocations++) {
      // An invocation may take the function's whole timeout, longer than the group's session timeout
      // (kafkajs: 30 s): the member heartbeats meanwhile, or the group drops it and its commit fails.
      const keepAlive = setInterval(
        () => void heartbeat().catch(() => undefined),
        HEARTBEAT_DURING_INVOCATION_MS,
      );
      try {
        // The event holds only JSON values (strings, numbers, arrays), exactly what Lambda delivers.
        await this.options.invoke(event);
        return { kind: 'processed' };
      } catch (error) {
        if (this.stopping) return undefined;
        const { topic } = mapping;
        const expired = await this.recordsExpired(topic, partition, firstOffset);
        const decision: FailedBatchDecision = decideAfterFailure(this.settings, invocations, expired);
        const where = { partition: `${topic}-${partition}`, firstOffset, invocations };
        if (decision.action === 'drop-expired') {
          this.options.logger.error('batch dropped: its records expired in Kafka before it succeeded', {
            ...where,
            error: describeError(error),
          });
          return { kind: 'dropped', invocations };
        }
        if (decision.action === 'send-to-destination') {
          this.options.logger.error(
            'batch failed after its retries; writing it to the on-failure destination',
            {
              ...where,
              error: describeError(error),
            },
          );
          const uri = await this.storeFailedBatch(event, mapping, invocations, decision.condition);
          return uri === undefined ? undefined : { kind: 'sent-to-destination', uri, invocations };
        }
        const delayMs = this.retryDelay(invocations);
        this.options.logger.error('batch failed; retrying it', {
          ...where,
          retryInMs: delayMs,
          error: describeError(error),
        });
        if (!(await this.pause(delayMs))) return undefined;
        // Retries can outlast the group's session timeout; the member stays in the group meanwhile.
        await heartbeat();
      } finally {
        clearInterval(keepAlive);
      }
    }
  }

  /**
   * Writes a failed batch to the destination. A write that fails is retried with backoff rather than
   * committed (in AWS the batch would be dropped): the local stack keeps every record. Undefined when
   * stopped before it was written.
   */
  private async storeFailedBatch(
    event: KafkaEvent,
    mapping: LocalMappingTarget,
    invocations: number,
    condition: 'RetryAttemptsExhausted',
  ): Promise<string | undefined> {
    this.destination ??=
      this.options.destination ?? new FailedBatchStore(localAwsClients(parseLocalEndpoints()).s3);
    const store = this.destination;
    const failure = {
      requestId: randomUUID(),
      functionArn: LOCAL_FUNCTION_ARN,
      condition,
      invocations,
      at: new Date(),
      mappingUuid: localMappingUuid(mapping.groupId, mapping.topic),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        return await store.write(event, failure);
      } catch (error) {
        const delayMs = this.retryDelay(attempt);
        this.options.logger.error('cannot write the failed batch; retrying', {
          retryInMs: delayMs,
          error: describeError(error),
        });
        if (!(await this.pause(delayMs))) return undefined;
      }
    }
  }

  /** Whether the first record of a batch has left the topic (retention), as Lambda's "the record expires". */
  private async recordsExpired(topic: string, partition: number, firstOffset: string): Promise<boolean> {
    try {
      this.admin ??= (async () => {
        const admin = this.options.kafka.admin();
        await admin.connect();
        return admin;
      })();
      const offsets = await (await this.admin).fetchTopicOffsets(topic);
      const low = offsets.find((entry) => entry.partition === partition)?.low;
      return low !== undefined && BigInt(low) > BigInt(firstOffset);
    } catch (error) {
      this.admin = undefined;
      this.options.logger.warn(
        "cannot read the partition's earliest offset; treating the batch as unexpired",
        {
          partition: `${topic}-${partition}`,
          error: describeError(error),
        },
      );
      return false;
    }
  }

  private retryDelay(attempt: number): number {
    return Math.min(30_000, (this.options.retryDelayMs ?? 500) * 2 ** (attempt - 1));
  }

  /** Waits `delayMs`, or less when stopped; false when the runner is stopping. */
  private async pause(delayMs: number): Promise<boolean> {
    if (this.stopping) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      this.wakeRetry = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    return !this.stopping;
  }
}

function toHeaders(headers: IHeaders | undefined): { name: string; value: Buffer }[] {
  return Object.entries(headers ?? {}).flatMap(([name, value]) =>
    (Array.isArray(value) ? value : [value])
      .filter((item) => item !== undefined)
      .map((item) => ({ name, value: Buffer.isBuffer(item) ? item : Buffer.from(String(item)) })),
  );
}
