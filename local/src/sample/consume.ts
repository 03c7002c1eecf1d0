import type { Kafka } from 'kafkajs';
import { LocalError } from '../errors.js';

/** One record as `npm run consume` prints it: key and value as text (null for a tombstone). */
export interface ConsumedRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly partition: number;
  readonly offset: string;
  readonly timestamp: string;
}

export class TopicNotFoundError extends LocalError {}

/**
 * Follows a topic from the beginning in the background, handing each record to `onRecord`, until
 * the returned stop function is called. Uses a throwaway consumer group and never commits.
 */
export async function followTopic(
  kafka: Kafka,
  topic: string,
  onRecord: (record: ConsumedRecord) => void,
): Promise<() => Promise<void>> {
  const consumer = kafka.consumer({
    groupId: `apphub-follow-${process.pid}-${Date.now()}`,
    allowAutoTopicCreation: false,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => onRecord(toRecord(partition, message)),
  });
  return () => consumer.disconnect();
}

function toRecord(
  partition: number,
  message: { key: Buffer | null; value: Buffer | null; offset: string; timestamp: string },
): ConsumedRecord {
  return {
    key: message.key?.toString('utf8') ?? null,
    value: message.value?.toString('utf8') ?? null,
    partition,
    offset: message.offset,
    timestamp: new Date(Number(message.timestamp)).toISOString(),
  };
}

/**
 * Reads records from the beginning of every partition without joining a consumer group (so it never
 * moves anyone's committed offsets), until `limit` records or the end of the topic or the timeout.
 */
export async function consumeRecords(
  kafka: Kafka,
  topic: string,
  options: { limit?: number; timeoutMs?: number } = {},
): Promise<ConsumedRecord[]> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const admin = kafka.admin();
  await admin.connect();
  let ends: { partition: number; high: string; low: string }[];
  try {
    if (!(await admin.listTopics()).includes(topic))
      throw new TopicNotFoundError(`topic ${topic} does not exist`);
    ends = (await admin.fetchTopicOffsets(topic)).map((p) => ({
      partition: p.partition,
      high: p.high,
      low: p.low,
    }));
  } finally {
    await admin.disconnect();
  }
  const pending = new Map(
    ends.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high)]),
  );
  const records: ConsumedRecord[] = [];
  if (pending.size === 0) return records;

  // A throwaway group id with no commits: kafkajs needs a group to fetch, but nothing is committed.
  const consumer = kafka.consumer({
    groupId: `apphub-consume-${process.pid}-${Date.now()}`,
    allowAutoTopicCreation: false,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, options.timeoutMs ?? 10_000);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            if (records.length >= limit) return;
            records.push(toRecord(partition, message));
            if (BigInt(message.offset) + 1n >= (pending.get(partition) ?? 0n)) pending.delete(partition);
            if (records.length >= limit || pending.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}
