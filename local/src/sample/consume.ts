import type { IncomingRecord, KafkaClient } from '@apphub/kafka-client';
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
export function followTopic(
  kafka: Pick<KafkaClient, 'follow'>,
  topic: string,
  onRecord: (record: ConsumedRecord) => void,
): Promise<() => Promise<void>> {
  return kafka.follow(topic, (record) => onRecord(toRecord(record)));
}

function toRecord(record: IncomingRecord): ConsumedRecord {
  return {
    key: record.key,
    value: record.value,
    partition: record.partition,
    offset: record.offset,
    timestamp: new Date(Number(record.timestamp)).toISOString(),
  };
}

/**
 * Reads records from the beginning of every partition with a throwaway group that commits nothing
 * (so it never moves anyone's committed offsets), until `limit` records or the end of the topic (as
 * it was when the read began) or the timeout.
 */
export async function consumeRecords(
  kafka: Pick<KafkaClient, 'observe' | 'endOffsets' | 'earliestOffsets' | 'follow'>,
  topic: string,
  options: { limit?: number; timeoutMs?: number } = {},
): Promise<ConsumedRecord[]> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if ((await kafka.observe([topic])).topics.length === 0)
    throw new TopicNotFoundError(`topic ${topic} does not exist`);
  const [ends, earliest] = await Promise.all([kafka.endOffsets(topic), kafka.earliestOffsets(topic)]);
  const pending = new Map(
    [...ends]
      .filter(([partition, end]) => BigInt(end) > BigInt(earliest.get(partition) ?? '0'))
      .map(([partition, end]) => [partition, BigInt(end)]),
  );
  const records: ConsumedRecord[] = [];
  if (pending.size === 0) return records;

  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const timer = setTimeout(() => finish(), options.timeoutMs ?? 10_000);
  const stop = await kafka.follow(topic, (record) => {
    if (records.length >= limit) return;
    records.push(toRecord(record));
    if (BigInt(record.offset) + 1n >= (pending.get(record.partition) ?? 0n)) pending.delete(record.partition);
    if (records.length >= limit || pending.size === 0) finish();
  });
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    await stop();
  }
  return records;
}
