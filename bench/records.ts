import type { RawKafkaRecord } from '@apphub/kafka-event';
import { fromScaled, toScaled } from '@apphub/sample';

/** Kafka partitions of the bench topics, as the sample aggregates topic has. */
export const benchPartitions = 3;
/** Users per minute of aggregates. */
export const benchUsers = 1000;
/** Event time of the first aggregate. */
export const benchBase = Date.UTC(2026, 10, 29, 0, 0);

/**
 * One aggregate as the sample job writes it (upsert-kafka: JSON key and value); `total_value` is a
 * DECIMAL(38, 9) written as a plain number with its nine decimals (`11.250000000`).
 */
export function aggregateMessage(user: string, start: number, events: number) {
  const window = { user_id: user, window_start: new Date(start).toISOString() };
  const fields = JSON.stringify({
    ...window,
    window_end: new Date(start + 60_000).toISOString(),
    event_count: events,
  });
  return {
    key: JSON.stringify(window),
    value: `${fields.slice(0, -1)},"total_value":${fromScaled(toScaled(events * 1.25))}}`,
  };
}

/**
 * The records of one Kafka partition as the seeded topic holds them (users u % partitions ===
 * partition, one aggregate per user and minute), `count` of them from `firstOffset`.
 */
export function partitionRecords(
  topic: string,
  partition: number,
  count: number,
  firstOffset = 0,
): RawKafkaRecord[] {
  const ownUsers = Array.from({ length: benchUsers }, (_, user) => user).filter(
    (user) => user % benchPartitions === partition,
  );
  return Array.from({ length: count }, (_, index) => {
    const offset = firstOffset + index;
    const user = ownUsers[offset % ownUsers.length]!;
    const start = benchBase + Math.floor(offset / ownUsers.length) * 60_000;
    const message = aggregateMessage(`u-${String(user).padStart(4, '0')}`, start, 1 + (user % 9));
    return {
      topic,
      partition,
      offset,
      timestamp: start + 60_000,
      key: Buffer.from(message.key),
      value: Buffer.from(message.value),
    };
  });
}
