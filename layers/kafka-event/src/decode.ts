import { z } from '@apphub/platform';
import { KafkaEventInvalidError } from './errors.js';
import type { DecodedKafkaRecord, KafkaEvent, KafkaHeader } from './types.js';

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64');

/** Lambda adds fields over time, so records and events accept unknown keys; the ones we read are strict. */
const recordSchema = z.object({
  topic: z.string().min(1),
  partition: z.number().int().min(0),
  offset: z.number().int().min(0),
  timestamp: z.number(),
  timestampType: z.string(),
  key: base64.nullish(),
  value: base64.nullish(),
  headers: z.array(z.record(z.string(), z.array(z.number().int().min(-128).max(255)))).default([]),
});

const eventSchema = z.object({
  eventSource: z.enum(['aws:kafka', 'SelfManagedKafka']),
  eventSourceArn: z.string().optional(),
  bootstrapServers: z.string().optional(),
  records: z.record(z.string(), z.array(recordSchema)),
});

/** Tells a Lambda Kafka event apart from other payloads (for example a scheduled event). */
export function isKafkaEvent(input: unknown): boolean {
  if (typeof input !== 'object' || input === null) return false;
  const source = (input as { eventSource?: unknown }).eventSource;
  return source === 'aws:kafka' || source === 'SelfManagedKafka';
}

/** Validates a Lambda Kafka event; throws KafkaEventInvalidError naming the first bad field. */
export function parseKafkaEvent(input: unknown): KafkaEvent {
  const result = eventSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
  throw new KafkaEventInvalidError(
    `Kafka event is invalid: ${path}: ${issue?.message ?? 'unknown problem'}`,
    {
      cause: result.error,
    },
  );
}

/**
 * Decodes every record of a Lambda Kafka event: base64 key and value to bytes, header byte arrays to
 * buffers. Records come back ordered by topic, partition and offset, whatever the event's key order.
 */
export function decodeKafkaEvent(input: unknown): DecodedKafkaRecord[] {
  const event = parseKafkaEvent(input);
  const decoded: DecodedKafkaRecord[] = [];
  for (const records of Object.values(event.records)) {
    for (const record of records) {
      decoded.push({
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        timestamp: record.timestamp,
        timestampType: record.timestampType,
        key: record.key == null ? null : Buffer.from(record.key, 'base64'),
        value: record.value == null ? null : Buffer.from(record.value, 'base64'),
        headers: record.headers.flatMap((header) =>
          Object.entries(header).map(
            ([name, bytes]): KafkaHeader => ({ name, value: Buffer.from(bytes.map((byte) => byte & 0xff)) }),
          ),
        ),
      });
    }
  }
  return decoded.sort(
    (a, b) => compareText(a.topic, b.topic) || a.partition - b.partition || a.offset - b.offset,
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
