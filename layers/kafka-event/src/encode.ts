import type { KafkaEvent, KafkaEventRecord, KafkaEventSource } from './types.js';

/** A record as a Kafka client hands it over, before Lambda's encoding. */
export interface RawKafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: ReadonlyArray<{ readonly name: string; readonly value: Buffer }>;
}

export interface EncodeKafkaEventOptions {
  /** Defaults to `aws:kafka` (MSK). */
  readonly eventSource?: KafkaEventSource;
  readonly eventSourceArn?: string;
  readonly bootstrapServers?: string;
}

/**
 * Builds the event Lambda's Kafka event source mapping would deliver for `records`, so local runners
 * and tests invoke the handler with exactly the production shape.
 */
export function encodeKafkaEvent(
  records: readonly RawKafkaRecord[],
  options: EncodeKafkaEventOptions = {},
): KafkaEvent {
  const grouped: Record<string, KafkaEventRecord[]> = {};
  for (const record of records) {
    const encoded: KafkaEventRecord = {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      timestampType: 'CREATE_TIME',
      ...(record.key === null ? {} : { key: record.key.toString('base64') }),
      ...(record.value === null ? {} : { value: record.value.toString('base64') }),
      headers: (record.headers ?? []).map((header) => ({ [header.name]: [...header.value] })),
    };
    const groupKey = `${record.topic}-${record.partition}`;
    const group = grouped[groupKey] ?? [];
    group.push(encoded);
    grouped[groupKey] = group;
  }
  return {
    eventSource: options.eventSource ?? 'aws:kafka',
    ...(options.eventSourceArn === undefined ? {} : { eventSourceArn: options.eventSourceArn }),
    ...(options.bootstrapServers === undefined ? {} : { bootstrapServers: options.bootstrapServers }),
    records: grouped,
  };
}
