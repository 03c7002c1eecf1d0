/**
 * The project's one adapter over kafkajs: every Kafka request of the topic manager and the smoke
 * test goes through this file, so replacing the client library means replacing this file.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KafkaSecurity } from '@apphub/platform';
import { type Admin, type ITopicConfig, Kafka, type KafkaConfig, logLevel } from 'kafkajs';
import type { KafkaConnection, KafkaCredentials } from './connection.js';
import { KafkaRequestFailedError } from './errors.js';
import type {
  IncomingRecord,
  KafkaClient,
  NewTopic,
  ObservedCluster,
  ObservedTopic,
  OutgoingRecord,
} from './ports.js';

/**
 * Kafka's retriable errors that mean "not ready yet" while a topic's partitions get their leaders:
 * UNKNOWN_TOPIC_OR_PARTITION (3), LEADER_NOT_AVAILABLE (5) and NOT_LEADER_OR_FOLLOWER (6, which
 * kafkajs still names NOT_LEADER_FOR_PARTITION in src/protocol/error.js), all marked retriable in
 * Kafka's protocol error table (https://kafka.apache.org/protocol#protocol_error_codes). Nothing else
 * is retried: a refusal such as INVALID_PARTITIONS or an authorization error is an answer.
 */
const NOT_READY = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);

/** True when `error` (or every error it aggregates) is one of Kafka's not-ready errors. */
export function topicNotReady(error: unknown): boolean {
  const errors = (error as { errors?: unknown[] }).errors ?? [error];
  return errors.every((each) => NOT_READY.has(String((each as { type?: string }).type)));
}

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

/**
 * Creates the topics among `topics` that do not exist yet and returns once every partition has a
 * leader that answers: ListOffsets reaches each partition's leader. kafkajs can fail with a not-ready
 * error even with waitForLeaders (seen under load in CI); those, and only those, are retried until
 * `timeoutMs` passes.
 */
export async function createTopicsWithLeaders(
  admin: Admin,
  topics: readonly ITopicConfig[],
  timeoutMs = 60_000,
): Promise<void> {
  await retryWhileNotReady(async () => {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic.topic));
    if (missing.length > 0) await admin.createTopics({ waitForLeaders: true, topics: [...missing] });
    for (const topic of topics) await admin.fetchTopicOffsets(topic.topic);
  }, timeoutMs);
}

/** kafkajs connection settings for a security description: TLS with its CA, SASL/SCRAM with `credentials`. */
export function kafkajsSecurity(
  security: KafkaSecurity,
  credentials?: KafkaCredentials,
): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  if (security.protocol === 'PLAINTEXT') return {};
  // Without a CA file, Node's own trust store: it holds Amazon's root CAs, which MSK's certificates chain to.
  const ssl = security.truststorePemFile ? { ca: [readFileSync(security.truststorePemFile, 'utf8')] } : true;
  if (security.protocol === 'SSL') return { ssl };
  return {
    ssl,
    sasl: {
      mechanism: 'scram-sha-512',
      username: credentials?.username ?? '',
      password: credentials?.password ?? '',
    },
  };
}

/** A kafkajs client for `connection`; kafkajs' own log is silenced, errors surface as exceptions. */
export function createKafkajs(connection: KafkaConnection): Kafka {
  return new Kafka({
    clientId: connection.clientId,
    brokers: [...connection.brokers],
    ...kafkajsSecurity(connection.security, connection.credentials),
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 200 },
    connectionTimeout: 5_000,
  });
}

/**
 * kafkajs ConfigSource.TOPIC_CONFIG: a setting of the topic itself (Kafka's DYNAMIC_TOPIC_CONFIG).
 * kafkajs's enums are plain values of a CommonJS module that Node's ES module loader cannot name,
 * so their numbers are written here.
 */
const TOPIC_CONFIG_SOURCE = 1;
/** kafkajs ConfigResourceTypes.TOPIC. */
const TOPIC_RESOURCE = 2;

/** Wraps a kafkajs failure in one line that names what was asked and of whom. */
async function request<T>(what: string, brokers: readonly string[], action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new KafkaRequestFailedError(`Kafka at ${brokers.join(',')} failed to ${what}: ${detail}`, {
      cause: error,
    });
  }
}

/** The kafkajs implementation of the project's Kafka ports. */
class KafkajsClient implements KafkaClient {
  private readonly consumers = new Set<{ disconnect(): Promise<void> }>();
  private producer: ReturnType<Kafka['producer']> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly connection: KafkaConnection,
  ) {}

  private run<T>(what: string, action: () => Promise<T>): Promise<T> {
    return request(what, this.connection.brokers, action);
  }

  observe(names: readonly string[]): Promise<ObservedCluster> {
    return this.run('describe the topics', () =>
      retryWhileNotReady(async () => {
        const { brokers } = await this.admin.describeCluster();
        const existing = new Set(await this.admin.listTopics());
        const present = names.filter((name) => existing.has(name));
        if (present.length === 0) return { brokers: brokers.length, topics: [] };
        const { topics: metadata } = await this.admin.fetchTopicMetadata({ topics: present });
        const { resources } = await this.admin.describeConfigs({
          includeSynonyms: false,
          resources: present.map((name) => ({ type: TOPIC_RESOURCE, name })),
        });
        const topics = present.map((name): ObservedTopic => {
          const entries = resources.find((resource) => resource.resourceName === name)?.configEntries ?? [];
          return {
            name,
            partitions: metadata.find((topic) => topic.name === name)?.partitions.length ?? 0,
            config: Object.fromEntries(
              entries
                .filter((entry) => entry.configSource === TOPIC_CONFIG_SOURCE)
                .map((entry) => [entry.configName, entry.configValue]),
            ),
          };
        });
        return { brokers: brokers.length, topics };
      }, 30_000),
    );
  }

  createTopics(topics: readonly NewTopic[]): Promise<void> {
    return this.run(`create ${topics.map((topic) => topic.name).join(', ')}`, () =>
      createTopicsWithLeaders(
        this.admin,
        topics.map((topic) => ({
          topic: topic.name,
          numPartitions: topic.partitions,
          replicationFactor: topic.replicationFactor,
          configEntries: Object.entries(topic.config).map(([name, value]) => ({ name, value })),
        })),
      ),
    );
  }

  addPartitions(name: string, total: number): Promise<void> {
    return this.run(`raise the partitions of ${name} to ${total}`, async () => {
      await this.admin.createPartitions({ topicPartitions: [{ topic: name, count: total }] });
      await retryWhileNotReady(() => this.admin.fetchTopicOffsets(name), 60_000);
    });
  }

  setTopicConfig(name: string, config: Readonly<Record<string, string>>): Promise<void> {
    return this.run(`configure ${name}`, async () => {
      await this.admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: TOPIC_RESOURCE,
            name,
            configEntries: Object.entries(config).map(([configName, value]) => ({ name: configName, value })),
          },
        ],
      });
    });
  }

  endOffsets(topic: string): Promise<ReadonlyMap<number, string>> {
    return this.run(`read the end offsets of ${topic}`, async () => {
      const offsets = await retryWhileNotReady(() => this.admin.fetchTopicOffsets(topic), 30_000);
      return new Map(offsets.map((offset) => [offset.partition, offset.high]));
    });
  }

  produce(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    return this.run(`produce ${records.length} records to ${topic}`, async () => {
      if (this.producer === undefined) {
        const producer = this.kafka.producer({
          allowAutoTopicCreation: false,
          idempotent: true,
          maxInFlightRequests: 1,
        });
        await producer.connect();
        this.producer = producer;
      }
      await this.producer.send({
        topic,
        acks: -1,
        messages: records.map((record) => ({
          key: record.key,
          value: record.value,
          ...(record.partition === undefined ? {} : { partition: record.partition }),
        })),
      });
    });
  }

  readUntil(
    topic: string,
    from: ReadonlyMap<number, string>,
    onRecord: (record: IncomingRecord) => boolean,
    until: number,
  ): Promise<boolean> {
    return this.run(`read ${topic}`, async () => {
      // A group of its own that commits nothing: kafkajs fetches only as a group member.
      const consumer = this.kafka.consumer({
        groupId: `${this.connection.clientId}-read-${randomUUID()}`,
        allowAutoTopicCreation: false,
      });
      this.consumers.add(consumer);
      let finish: (done: boolean) => void = () => undefined;
      const finished = new Promise<boolean>((resolve) => {
        finish = resolve;
      });
      const timer = setTimeout(() => finish(false), Math.max(0, until - Date.now()));
      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: false });
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const record: IncomingRecord = {
              partition,
              offset: message.offset,
              key: message.key?.toString('utf8') ?? null,
              value: message.value?.toString('utf8') ?? null,
            };
            if (onRecord(record)) finish(true);
          },
        });
        // Kept until each partition is assigned and fetched, so no record after `from` is missed.
        for (const [partition, offset] of from) consumer.seek({ topic, partition, offset });
        return await finished;
      } finally {
        clearTimeout(timer);
        this.consumers.delete(consumer);
        await consumer.disconnect();
      }
    });
  }

  groupMembers(groupId: string): Promise<number> {
    return this.run(`describe consumer group ${groupId}`, async () => {
      const { groups } = await this.admin.describeGroups([groupId]);
      return groups.find((group) => group.groupId === groupId)?.members.length ?? 0;
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.disconnect()));
    await this.producer?.disconnect();
    await this.admin.disconnect();
  }
}

/** Connects a client for `connection`; `close()` it when done. */
export async function connectKafka(connection: KafkaConnection): Promise<KafkaClient> {
  const kafka = createKafkajs(connection);
  const admin = kafka.admin();
  await request('accept a connection', connection.brokers, () => admin.connect());
  return new KafkajsClient(kafka, admin, connection);
}
