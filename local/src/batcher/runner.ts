import { randomUUID } from 'node:crypto';
import type { GroupConsumer, KafkaClient, ReceivedRecord } from '@apphub/kafka-client';
import { encodeKafkaEvent, type KafkaEvent, type RawKafkaRecord } from '@apphub/kafka-event';
import {
  decideAfterFailure,
  type EventSourceSettings,
  eventSourceDefaults,
  type FailedBatchDecision,
} from '@apphub/microbatcher';
import type { Logger } from '@apphub/observability';
import { describeError, parseLocalEndpoints } from '@apphub/platform';
import { localAwsClients } from '../stack/index.js';
import { FailedBatchStore, localMappingUuid } from './failed-batches.js';
import { LOCAL_FUNCTION_ARN } from './local-handler.js';

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
  /** The client the mappings consume with; the runner stops its groups, the caller closes the client. */
  readonly kafka: Pick<KafkaClient, 'consumeGroup' | 'earliestOffsets'>;
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
   * Overrides settings.batchingWindowSeconds, in milliseconds (local experiments and tests): how long
   * a batch waits to fill up to the batch size after its first record arrived.
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
  private readonly consumers: GroupConsumer[] = [];
  private stopping = false;
  private sealTimer: NodeJS.Timeout | undefined;
  private sealing: Promise<unknown> = Promise.resolve();
  private wakeRetry: (() => void) | undefined;
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
    const consumer = await this.options.kafka.consumeGroup(
      {
        groupId,
        topics: [topic],
        fromBeginning: this.options.fromBeginning ?? this.settings.startingPosition === 'TRIM_HORIZON',
        maxBatchRecords: this.options.batchSize ?? this.settings.batchSize,
        batchWindowMs: this.options.batchWindowMs ?? this.settings.batchingWindowSeconds * 1000,
        concurrentPartitions: this.options.concurrentPartitions ?? 3,
        onError: (error) =>
          this.options.logger.warn('the consumer group resumes from its committed offsets', {
            groupId,
            error: describeError(error),
          }),
      },
      async (batch) => {
        if (this.stopping) return;
        const first = batch.records[0]!;
        const last = batch.records[batch.records.length - 1]!;
        const event = this.toEvent(batch.topic, batch.partition, batch.records);
        const outcome = await this.invokeAsMapping(event, { topic, groupId }, batch.partition, first.offset);
        if (outcome === undefined) return;
        await batch.commit();
        const nextOffset = (BigInt(last.offset) + 1n).toString();
        if (outcome.kind === 'processed') {
          this.processed += batch.records.length;
          this.batches += 1;
        } else if (outcome.kind === 'sent-to-destination') {
          this.failedBatches += 1;
        }
        this.options.onBatch?.({
          topic: batch.topic,
          partition: batch.partition,
          records: batch.records.length,
          nextOffset,
          outcome,
        });
      },
    );
    this.consumers.push(consumer);
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
    await Promise.all(this.consumers.map((consumer) => consumer.stop()));
    await this.sealing;
  }

  private toEvent(topic: string, partition: number, received: readonly ReceivedRecord[]): KafkaEvent {
    const records: RawKafkaRecord[] = received.map((record) => ({
      topic,
      partition,
      offset: Number(record.offset),
      timestamp: Number(record.timestamp),
      key: record.key,
      value: record.value,
      headers: record.headers.map(({ name, value }) => ({ name, value })),
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
  ): Promise<BatchOutcome | undefined> {
    for (let invocations = 1; ; invocations++) {
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
        // Retries can outlast the group's session timeout: the client heartbeats in the background.
        if (!(await this.pause(delayMs))) return undefined;
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
      const earliest = (await this.options.kafka.earliestOffsets(topic)).get(partition);
      return earliest !== undefined && BigInt(earliest) > BigInt(firstOffset);
    } catch (error) {
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
