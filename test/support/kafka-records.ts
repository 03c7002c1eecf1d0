import { randomUUID } from 'node:crypto';
import { encodeKafkaEvent, type KafkaEvent } from '@apphub/kafka-event';
import {
  type DatasetDescriptorInput,
  parseDatasetDescriptor,
  sampleBatcherDescriptor,
} from '@apphub/microbatcher';

export const minute = 60_000;
export const base = Date.UTC(2026, 10, 29, 10, 0);
export const iso = (time: number) => new Date(time).toISOString();

/** An aggregate record as Flink's upsert-kafka sink writes it (JSON key and value); null count deletes. */
export function aggregate(
  topic: string,
  partition: number,
  offset: number,
  user: string,
  windowMinute: number,
  count: number | null,
) {
  const windowStart = iso(base + windowMinute * minute);
  const key = Buffer.from(JSON.stringify({ user_id: user, window_start: windowStart }));
  const value =
    count === null
      ? null
      : Buffer.from(
          JSON.stringify({
            user_id: user,
            window_start: windowStart,
            window_end: iso(base + (windowMinute + 1) * minute),
            event_count: count,
            total_value: count * 2.5,
          }),
        );
  return { topic, partition, offset, timestamp: base + windowMinute * minute, key, value };
}

/** The MSK-shaped event, passed through JSON like Lambda delivers it. */
export function mskEvent(records: Parameters<typeof encodeKafkaEvent>[0]): KafkaEvent {
  return JSON.parse(
    JSON.stringify(
      encodeKafkaEvent(records, { eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/local/1' }),
    ),
  );
}

/**
 * A descriptor of the sample's shape with a unique slug (`<prefix>-<random>`) and topic, 1-minute
 * windows and no lateness, so tests can share one table and bucket; as the input
 * TIMESTORE_STREAMING_BATCHERS would carry it.
 */
export function testDescriptorInput(
  overrides: Partial<DatasetDescriptorInput> = {},
  prefix = 'it-mb',
): DatasetDescriptorInput {
  const dataset = `${prefix}-${randomUUID().slice(0, 8)}`;
  return {
    ...sampleBatcherDescriptor,
    dataset,
    topic: `${dataset}-topic`,
    windowDuration: '1 min',
    allowedLateness: '0 s',
    idleTimeout: '1 h',
    // The tests write to one or two partitions of a topic that does not exist in Kafka.
    topicPartitions: undefined,
    ...overrides,
  };
}

/** testDescriptorInput, parsed. */
export function testDescriptor(overrides: Partial<DatasetDescriptorInput> = {}, prefix = 'it-mb') {
  return parseDatasetDescriptor(testDescriptorInput(overrides, prefix));
}
