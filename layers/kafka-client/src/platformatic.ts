/**
 * The project's one adapter over @platformatic/kafka: every Kafka request of the topic manager, the
 * smoke test, the local tools and the local event-source runner goes through this file, so replacing
 * the client library means replacing this file.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KafkaSecurity } from '@apphub/platform';
import {
  Admin,
  type BaseOptions,
  ConfigResourceTypes,
  ConfigSources,
  Consumer,
  ListOffsetTimestamps,
  type Message,
  type MessagesStream,
  Producer,
} from '@platformatic/kafka';
import type { KafkaConnection, KafkaCredentials } from './connection.js';
import { KafkaClientError, KafkaRequestFailedError } from './errors.js';
import type {
  GroupConsumer,
  GroupConsumerOptions,
  IncomingRecord,
  KafkaClient,
  NewTopic,
  ObservedCluster,
  ObservedTopic,
  OutgoingRecord,
  ReceivedRecord,
  RecordBatch,
} from './ports.js';

/** The errors an error stands for: itself, or the leaves of the errors it aggregates (retries, responses). */
function leafErrors(error: unknown): readonly unknown[] {
  const nested = (error as { errors?: unknown[] } | null)?.errors;
  return Array.isArray(nested) && nested.length > 0 ? nested.flatMap(leafErrors) : [error];
}

/**
 * True when `error` (or every error it aggregates) is one of Kafka's "not ready yet" answers while a
 * topic's partitions get their leaders: the client marks UNKNOWN_TOPIC_OR_PARTITION (3),
 * LEADER_NOT_AVAILABLE (5), NOT_LEADER_OR_FOLLOWER (6) and FENCED_LEADER_EPOCH (74) with
 * `hasStaleMetadata`, and only those it also marks `canRetry` (from Kafka's protocol error table,
 * https://kafka.apache.org/protocol#protocol_error_codes) are retried. A refusal such as
 * INVALID_PARTITIONS or an authorization error is an answer.
 */
export function topicNotReady(error: unknown): boolean {
  return leafErrors(error).every((leaf) => {
    const { canRetry, hasStaleMetadata } = (leaf ?? {}) as { canRetry?: unknown; hasStaleMetadata?: unknown };
    return canRetry === true && hasStaleMetadata === true;
  });
}

/** Marks an error of this adapter's own waits as one of the not-ready kind. */
const notReady = { canRetry: true, hasStaleMetadata: true } as const;

/** Runs `action` again while it fails with a not-ready error, for at most `timeoutMs`. */
async function retryWhileNotReady<T>(action: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await action();
    } catch (error) {
      if (!topicNotReady(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/** Connection settings for a security description: TLS with its CA, SASL/SCRAM with `credentials`. */
export function platformaticSecurity(
  security: KafkaSecurity,
  credentials?: KafkaCredentials,
): Pick<BaseOptions, 'tls' | 'sasl'> {
  if (security.protocol === 'PLAINTEXT') return {};
  // Without a CA file, Node's own trust store: it holds Amazon's root CAs, which MSK's certificates chain to.
  const tls = security.truststorePemFile ? { ca: [readFileSync(security.truststorePemFile, 'utf8')] } : {};
  if (security.protocol === 'SSL') return { tls };
  return {
    tls,
    sasl: {
      mechanism: 'SCRAM-SHA-512',
      username: credentials?.username ?? '',
      password: credentials?.password ?? '',
    },
  };
}

/** The options every client of `connection` starts from. */
function clientOptions(connection: KafkaConnection, role: string): BaseOptions {
  return {
    clientId: `${connection.clientId}-${role}`,
    bootstrapBrokers: [...connection.brokers],
    ...platformaticSecurity(connection.security, connection.credentials),
    connectTimeout: 5_000,
    retries: 3,
    retryDelay: 200,
  };
}

/** An error's message followed by those of its causes (a refused socket, a TLS verification failure). */
function messageWithCauses(error: Error): string {
  const { cause } = error as { cause?: unknown };
  return cause instanceof Error ? `${error.message}: ${messageWithCauses(cause)}` : error.message;
}

/** One line for a failure: its message and those of the errors it aggregates, with their causes. */
function detailOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const leaves = leafErrors(error)
    .filter((leaf): leaf is Error => leaf instanceof Error && leaf !== error)
    .map(messageWithCauses);
  const distinct = [...new Set(leaves)];
  return distinct.length > 0 ? `${error.message} (${distinct.join('; ')})` : error.message;
}

/** Wraps a failure in one line that names what was asked and of whom. */
async function request<T>(what: string, brokers: readonly string[], action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new KafkaRequestFailedError(`Kafka at ${brokers.join(',')} failed to ${what}: ${detailOf(error)}`, {
      cause: error,
    });
  }
}

const bytesOf = (data: string | Buffer) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data);

const textOf = (buffer: Buffer | undefined | null) =>
  buffer === undefined || buffer === null ? null : buffer.toString('utf8');

function incomingOf(message: Message): IncomingRecord {
  return {
    partition: message.partition,
    offset: message.offset.toString(),
    timestamp: message.timestamp.toString(),
    key: textOf(message.key),
    value: textOf(message.value),
  };
}

function receivedOf(message: Message): ReceivedRecord {
  return {
    offset: message.offset.toString(),
    timestamp: message.timestamp.toString(),
    key: message.key ?? null,
    value: message.value ?? null,
    headers: message.headerEntries.map(([name, value]) => ({ name: name.toString('utf8'), value })),
  };
}

/**
 * A consumer group that hands out batches of one partition: records are queued per partition as
 * fetches bring them, each partition drained by one worker at a time (at most
 * `concurrentPartitions` at once), and the fetching pauses while too many records wait. A handler
 * failure, a failed stream or a rebalance drops what is queued; the stream then reads again from the
 * group's committed offsets, so only what a handler committed counts as consumed.
 */
class BatchingGroupConsumer implements GroupConsumer {
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  private readonly queues = new Map<string, Message[]>();
  private readonly firstQueuedAt = new Map<string, number>();
  private readonly filled = new Map<string, () => void>();
  private readonly workers = new Map<string, Promise<void>>();
  private readonly slotWaiters: (() => void)[] = [];
  private running = 0;
  private queued = 0;
  private paused = false;
  private stopping = false;
  private restarting: Promise<void> | undefined;
  private readonly highWater: number;

  constructor(
    private readonly consumer: Consumer,
    /** The brokers the consumer was given, for error messages. */
    private readonly brokers: readonly string[],
    private readonly options: GroupConsumerOptions,
    private readonly onBatch: (batch: RecordBatch) => Promise<void>,
  ) {
    this.highWater = options.maxBatchRecords * (options.concurrentPartitions + 1);
    // A (re)joined member reads its assignment again from the committed offsets: what was queued is stale.
    consumer.on('consumer:group:join', () => this.dropQueued());
    // A rejoin that failed (the brokers were down when a heartbeat asked for one) ends the member's
    // heartbeats for good: the client reports it as an error, then as a stalled heartbeat. The member
    // joins again through a restart.
    consumer.on('error', (error: unknown) => this.restart(error));
    consumer.on('consumer:heartbeat:stalled', (event: { lastError?: unknown; stalledFor?: number }) =>
      this.restart(
        new KafkaClientError(
          `the heartbeats of group ${options.groupId} stalled for ${event.stalledFor ?? '?'} ms: ${detailOf(event.lastError)}`,
        ),
      ),
    );
  }

  async open(): Promise<void> {
    const stream = await this.consumer.consume({
      topics: [...this.options.topics],
      mode: 'committed',
      // A group starting at the end has that position committed before it joins (fixStartingPosition):
      // a partition without a committed offset is then one the group never had (added since), read whole.
      fallbackMode: 'earliest',
      autocommit: false,
      minBytes: 1,
      maxWaitTime: 500,
      maxBytesPerPartition: 16 * 1_048_576,
      maxBytes: 64 * 1_048_576,
    });
    stream.on('data', (message: Message) => this.enqueue(message));
    stream.on('error', (error: Error) => this.restart(error));
    this.stream = stream;
    this.paused = false;
  }

  private enqueue(message: Message): void {
    if (this.stopping) return;
    const key = `${message.topic}\u0000${message.partition}`;
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = [];
      this.queues.set(key, queue);
    }
    if (queue.length === 0) this.firstQueuedAt.set(key, Date.now());
    queue.push(message);
    this.queued += 1;
    if (queue.length >= this.options.maxBatchRecords) this.filled.get(key)?.();
    if (this.queued >= this.highWater && !this.paused) {
      this.paused = true;
      this.stream?.pause();
    }
    this.startWorker(key);
  }

  /** Starts `key`'s worker unless it runs; one that ends while records wait is started again. */
  private startWorker(key: string): void {
    if (this.workers.has(key) || this.stopping) return;
    const worker = this.drain(key).finally(() => {
      this.workers.delete(key);
      if ((this.queues.get(key)?.length ?? 0) > 0 && !this.restarting) this.startWorker(key);
    });
    this.workers.set(key, worker);
  }

  private resumeIfDrained(): void {
    if (this.paused && this.queued < this.highWater / 2) {
      this.paused = false;
      this.stream?.resume();
    }
  }

  private dropQueued(): void {
    for (const queue of this.queues.values()) queue.length = 0;
    this.queued = 0;
    for (const wake of this.filled.values()) wake();
    this.resumeIfDrained();
  }

  /** Waits until `key`'s queue holds a full batch or its first record has waited the batch window. */
  private async batchFilled(key: string): Promise<void> {
    const windowMs = this.options.batchWindowMs;
    const queue = this.queues.get(key) ?? [];
    if (windowMs <= 0 || queue.length >= this.options.maxBatchRecords) {
      // Lets the rest of the fetch that brought the first record arrive.
      await new Promise((resolve) => setImmediate(resolve));
      return;
    }
    const waited = Date.now() - (this.firstQueuedAt.get(key) ?? Date.now());
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, Math.max(0, windowMs - waited));
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      this.filled.set(key, finish);
    });
    this.filled.delete(key);
  }

  private async slot(): Promise<void> {
    if (this.running < this.options.concurrentPartitions) {
      this.running += 1;
      return;
    }
    await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
  }

  private release(): void {
    const next = this.slotWaiters.shift();
    if (next) next();
    else this.running -= 1;
  }

  /** One partition's worker: batches in offset order until its queue is empty. */
  private async drain(key: string): Promise<void> {
    for (;;) {
      await this.batchFilled(key);
      await this.slot();
      try {
        const queue = this.queues.get(key) ?? [];
        if (this.stopping || queue.length === 0) return;
        const messages = queue.splice(0, this.options.maxBatchRecords);
        if (queue.length > 0) this.firstQueuedAt.set(key, Date.now());
        this.queued -= messages.length;
        this.resumeIfDrained();
        const first = messages[0]!;
        const last = messages[messages.length - 1]!;
        const batch: RecordBatch = {
          topic: first.topic,
          partition: first.partition,
          records: messages.map(receivedOf),
          commit: () =>
            request(
              `commit ${first.topic}-${first.partition} at ${last.offset + 1n} for group ${this.options.groupId}`,
              this.brokers,
              // On the consumer, not through the stream: the stream holds a manual commit back while its
              // member is not active, which, once heartbeats have ended, is forever. The consumer commits
              // at once and rejoins the group when the broker asks for it.
              async () => {
                await this.consumer.commit({
                  offsets: [
                    {
                      topic: last.topic,
                      partition: last.partition,
                      offset: last.offset + 1n,
                      leaderEpoch: last.leaderEpoch,
                    },
                  ],
                });
              },
            ),
        };
        try {
          await this.onBatch(batch);
        } catch (error) {
          this.restart(error);
          return;
        }
      } finally {
        this.release();
      }
    }
  }

  /** Drops what is queued and reads again from the committed offsets, after reporting `error`. */
  private restart(error: unknown): void {
    if (this.stopping || this.restarting) return;
    this.options.onError?.(error);
    this.restarting = (async () => {
      this.dropQueued();
      const old = this.stream;
      this.stream = undefined;
      await old?.close().catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (!this.stopping) await this.open();
    })().then(
      () => {
        this.restarting = undefined;
      },
      (failure: unknown) => {
        this.restarting = undefined;
        this.restart(failure);
      },
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.dropQueued();
    await Promise.all(this.workers.values());
    await this.restarting;
    await this.stream?.close().catch(() => undefined);
    await this.consumer.close();
  }
}

/** The @platformatic/kafka implementation of the project's Kafka ports. */
class PlatformaticClient implements KafkaClient {
  private readonly admin: Admin;
  private readonly closers = new Set<() => Promise<void>>();
  private producer: Producer | undefined;

  constructor(private readonly connection: KafkaConnection) {
    this.admin = new Admin(clientOptions(connection, 'admin'));
  }

  private run<T>(what: string, action: () => Promise<T>): Promise<T> {
    return request(what, this.connection.brokers, action);
  }

  /** Checks that the brokers answer (TLS and SASL included). */
  async ping(): Promise<void> {
    await this.run('accept a connection', () => this.admin.metadata({ topics: [] }));
  }

  /** The partitions of `topic`, retried while its metadata is not ready. */
  private async partitionsOf(topic: string): Promise<number[]> {
    const metadata = await this.admin.metadata({ topics: [topic], forceUpdate: true });
    const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
    return Array.from({ length: count }, (_, partition) => partition);
  }

  private async listOffsets(topic: string, timestamp: bigint): Promise<Map<number, string>> {
    return retryWhileNotReady(async () => {
      const partitions = await this.partitionsOf(topic);
      const [listed] = await this.admin.listOffsets({
        topics: [
          { name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, timestamp })) },
        ],
      });
      return new Map(
        (listed?.partitions ?? []).map((entry) => [entry.partitionIndex, entry.offset.toString()]),
      );
    }, 30_000);
  }

  observe(names: readonly string[]): Promise<ObservedCluster> {
    return this.run('describe the topics', () =>
      retryWhileNotReady(async () => {
        const existing = new Set(await this.admin.listTopics());
        const present = names.filter((name) => existing.has(name));
        const metadata = await this.admin.metadata({ topics: present, forceUpdate: true });
        if (present.length === 0) return { brokers: metadata.brokers.size, topics: [] };
        const described = await this.admin.describeConfigs({
          includeSynonyms: false,
          resources: present.map((name) => ({ resourceType: ConfigResourceTypes.TOPIC, resourceName: name })),
        });
        const topics = present.map((name): ObservedTopic => {
          const entries = described.find((resource) => resource.resourceName === name)?.configs ?? [];
          return {
            name,
            partitions: metadata.topics.get(name)?.partitionsCount ?? 0,
            config: Object.fromEntries(
              entries
                .filter((entry) => entry.configSource === ConfigSources.DYNAMIC_TOPIC_CONFIG)
                .map((entry) => [entry.name, entry.value ?? '']),
            ),
          };
        });
        return { brokers: metadata.brokers.size, topics };
      }, 30_000),
    );
  }

  /**
   * Creates the topics among `topics` that do not exist yet (one request each: a request's settings
   * apply to all its topics) and returns once every partition has a leader that answers: ListOffsets
   * reaches each partition's leader. Not-ready errors, and only those, are retried for `timeoutMs`.
   */
  createTopics(topics: readonly NewTopic[], timeoutMs = 60_000): Promise<void> {
    return this.run(`create ${topics.map((topic) => topic.name).join(', ')}`, () =>
      retryWhileNotReady(async () => {
        const existing = new Set(await this.admin.listTopics());
        for (const topic of topics.filter((each) => !existing.has(each.name))) {
          await this.admin.createTopics({
            topics: [topic.name],
            partitions: topic.partitions,
            replicas: topic.replicationFactor,
            configs: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
          });
        }
        for (const topic of topics) await this.listOffsets(topic.name, ListOffsetTimestamps.LATEST);
      }, timeoutMs),
    );
  }

  addPartitions(name: string, total: number): Promise<void> {
    return this.run(`raise the partitions of ${name} to ${total}`, async () => {
      await this.admin.createPartitions({ topics: [{ name, count: total, assignments: null }] });
      await retryWhileNotReady(async () => {
        const offsets = await this.listOffsets(name, ListOffsetTimestamps.LATEST);
        if (offsets.size < total) throw Object.assign(new Error('partitions not listed yet'), notReady);
      }, 60_000);
    });
  }

  setTopicConfig(name: string, config: Readonly<Record<string, string>>): Promise<void> {
    return this.run(`configure ${name}`, () =>
      this.admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            resourceType: ConfigResourceTypes.TOPIC,
            resourceName: name,
            configs: Object.entries(config).map(([configName, value]) => ({ name: configName, value })),
          },
        ],
      }),
    );
  }

  endOffsets(topic: string): Promise<ReadonlyMap<number, string>> {
    return this.run(`read the end offsets of ${topic}`, () =>
      this.listOffsets(topic, ListOffsetTimestamps.LATEST),
    );
  }

  earliestOffsets(topic: string): Promise<ReadonlyMap<number, string>> {
    return this.run(`read the earliest offsets of ${topic}`, () =>
      this.listOffsets(topic, ListOffsetTimestamps.EARLIEST),
    );
  }

  committedOffsets(groupId: string, topic: string): Promise<ReadonlyMap<number, string>> {
    return this.run(`read the offsets group ${groupId} committed on ${topic}`, async () => {
      const partitionIndexes = await retryWhileNotReady(() => this.partitionsOf(topic), 30_000);
      const [group] = await this.admin.listConsumerGroupOffsets({
        groups: [{ groupId, topics: [{ name: topic, partitionIndexes }] }],
      });
      const partitions = group?.topics.find((each) => each.name === topic)?.partitions ?? [];
      return new Map(
        partitions
          .filter((partition) => partition.committedOffset >= 0n)
          .map((partition) => [partition.partitionIndex, partition.committedOffset.toString()]),
      );
    });
  }

  produce(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    return this.run(`produce ${records.length} records to ${topic}`, async () => {
      this.producer ??= new Producer({
        ...clientOptions(this.connection, 'producer'),
        idempotent: true,
        acks: -1,
        autocreateTopics: false,
      });
      await this.knowPartitions(this.producer, topic, records);
      await this.producer.send({
        messages: records.map((record) => ({
          topic,
          key: bytesOf(record.key),
          // A tombstone: the client writes a null value as Kafka's null (length -1); its types want a Buffer.
          value: record.value === null ? (null as unknown as Buffer) : bytesOf(record.value),
          ...(record.partition === undefined ? {} : { partition: record.partition }),
        })),
      });
    });
  }

  /**
   * Makes sure the producer's metadata has every partition a record names: the client sends a record
   * to its partition modulo the partition count it knows, so one named after the topic grew would
   * land on another partition. A partition the topic does not have is an error.
   */
  private async knowPartitions(producer: Producer, topic: string, records: readonly OutgoingRecord[]) {
    // A loop, not Math.max(...): a spread of a large batch overflows the call stack.
    let highest = -1;
    for (const record of records) highest = Math.max(highest, record.partition ?? -1);
    if (highest < 0) return;
    const known = (await producer.metadata({ topics: [topic] })).topics.get(topic)?.partitionsCount ?? 0;
    if (highest < known) return;
    const count =
      (await producer.metadata({ topics: [topic], forceUpdate: true })).topics.get(topic)?.partitionsCount ??
      0;
    if (highest >= count)
      throw new KafkaClientError(`topic ${topic} has ${count} partitions: there is no partition ${highest}`);
  }

  /** A consumer of a group of its own, closed with the client if the caller does not close it first. */
  private throwawayConsumer(purpose: string): { consumer: Consumer; close: () => Promise<void> } {
    const consumer = new Consumer({
      ...clientOptions(this.connection, purpose),
      groupId: `${this.connection.clientId}-${purpose}-${randomUUID()}`,
      autocommit: false,
    });
    const close = async () => {
      this.closers.delete(close);
      await consumer.close(true);
    };
    this.closers.add(close);
    return { consumer, close };
  }

  readUntil(
    topic: string,
    from: ReadonlyMap<number, string>,
    onRecord: (record: IncomingRecord) => boolean,
    until: number,
  ): Promise<boolean> {
    return this.run(`read ${topic}`, async () => {
      // A group of its own that commits nothing, read from the given offsets.
      const { consumer, close } = this.throwawayConsumer('read');
      let finish: (done: boolean) => void = () => undefined;
      const finished = new Promise<boolean>((resolve) => {
        finish = resolve;
      });
      const timer = setTimeout(() => finish(false), Math.max(0, until - Date.now()));
      try {
        const stream = await consumer.consume({
          topics: [topic],
          mode: 'manual',
          offsets: [...from].map(([partition, offset]) => ({ topic, partition, offset: BigInt(offset) })),
          autocommit: false,
          maxWaitTime: 500,
        });
        stream.on('data', (message: Message) => {
          if (onRecord(incomingOf(message))) finish(true);
        });
        stream.on('error', () => finish(false));
        const done = await finished;
        await stream.close().catch(() => undefined);
        return done;
      } finally {
        clearTimeout(timer);
        await close();
      }
    });
  }

  follow(topic: string, onRecord: (record: IncomingRecord) => void): Promise<() => Promise<void>> {
    return this.run(`follow ${topic}`, async () => {
      const { consumer, close } = this.throwawayConsumer('follow');
      try {
        const stream = await consumer.consume({
          topics: [topic],
          mode: 'earliest',
          autocommit: false,
          maxWaitTime: 500,
        });
        stream.on('data', (message: Message) => onRecord(incomingOf(message)));
        return async () => {
          await stream.close().catch(() => undefined);
          await close();
        };
      } catch (error) {
        await close();
        throw error;
      }
    });
  }

  consumeGroup(
    options: GroupConsumerOptions,
    onBatch: (batch: RecordBatch) => Promise<void>,
  ): Promise<GroupConsumer> {
    return this.run(`join consumer group ${options.groupId} on ${options.topics.join(', ')}`, async () => {
      if (!options.fromBeginning) await this.fixStartingPosition(options.groupId, options.topics);
      const consumer = new Consumer({
        ...clientOptions(this.connection, 'group'),
        groupId: options.groupId,
        autocommit: false,
      });
      const group = new BatchingGroupConsumer(consumer, this.connection.brokers, options, onBatch);
      const close = async () => {
        this.closers.delete(close);
        await group.stop();
      };
      try {
        await group.open();
      } catch (error) {
        await consumer.close(true).catch(() => undefined);
        throw error;
      }
      this.closers.add(close);
      return { stop: close };
    });
  }

  /**
   * Commits the end of each topic the group has no committed offset on yet, as its starting position.
   * Lambda applies a mapping's StartingPosition only when its consumer group does not exist yet and
   * reads from the committed offsets after that
   * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-consumer-group-id.html), so a member that
   * stops before its first commit must not skip, on its restart, what arrived meanwhile. The commit
   * (OffsetCommit outside any generation) only succeeds while the group has no members; when another
   * member is already in, that member's own start fixed the position.
   */
  private async fixStartingPosition(groupId: string, topics: readonly string[]): Promise<void> {
    for (const topic of topics) {
      if ((await this.committedOffsets(groupId, topic)).size > 0) continue;
      const ends = await this.endOffsets(topic);
      try {
        await this.admin.alterConsumerGroupOffsets({
          groupId,
          topics: [
            {
              name: topic,
              partitionOffsets: [...ends].map(([partition, offset]) => ({
                partition,
                offset: BigInt(offset),
              })),
            },
          ],
        });
      } catch (error) {
        if ((await this.groupMembers(groupId)) === 0) throw error;
      }
    }
  }

  groupMembers(groupId: string): Promise<number> {
    return this.run(`describe consumer group ${groupId}`, async () => {
      const groups = await this.admin.describeGroups({ groups: [groupId] });
      return groups.get(groupId)?.members.size ?? 0;
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.closers].map((close) => close()));
    await this.producer?.close();
    await this.admin.close();
  }
}

/**
 * A client for `connection` that connects on its first request; `close()` it when done. For a
 * process that holds one client for its life (the local tools, the tests).
 */
export function openKafka(connection: KafkaConnection): KafkaClient {
  return new PlatformaticClient(connection);
}

/** Connects a client for `connection`, failing at once when the brokers do not answer; `close()` it when done. */
export async function connectKafka(connection: KafkaConnection): Promise<KafkaClient> {
  const client = new PlatformaticClient(connection);
  try {
    await client.ping();
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
  return client;
}
