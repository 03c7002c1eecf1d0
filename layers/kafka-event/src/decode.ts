import { z } from '@apphub/platform';
import { KafkaEventInvalidError } from './errors.js';
import type { DecodedKafkaRecord, KafkaEvent, KafkaHeader } from './types.js';

const eventSchema = z.object({
  eventSource: z.enum(['aws:kafka', 'SelfManagedKafka']),
  eventSourceArn: z.string().optional(),
  bootstrapServers: z.string().optional(),
  records: z.record(z.string(), z.array(z.unknown())),
});

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Checks one record by hand: a batch holds up to 10,000 records and a schema library per record
 * costs more than the rest of decoding. Lambda adds fields over time, so unknown keys are allowed.
 * Returns the problem as "field: message", or undefined.
 */
function recordProblem(record: unknown): string | undefined {
  if (typeof record !== 'object' || record === null) return '(record): expected an object';
  const value = record as Record<string, unknown>;
  if (typeof value.topic !== 'string' || value.topic === '') return 'topic: expected a non-empty string';
  for (const field of ['partition', 'offset'] as const) {
    const number = value[field];
    if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
      return `${field}: expected a non-negative integer`;
    }
  }
  if (typeof value.timestamp !== 'number') return 'timestamp: expected a number';
  if (typeof value.timestampType !== 'string') return 'timestampType: expected a string';
  for (const field of ['key', 'value'] as const) {
    const text = value[field];
    if (text != null && (typeof text !== 'string' || !base64.test(text))) return `${field}: expected base64`;
  }
  if (value.headers !== undefined) {
    if (!Array.isArray(value.headers)) return 'headers: expected an array';
    for (const [index, header] of value.headers.entries()) {
      if (typeof header !== 'object' || header === null) return `headers.${index}: expected an object`;
      for (const [name, bytes] of Object.entries(header)) {
        const valid =
          Array.isArray(bytes) &&
          bytes.every(
            (byte) => Number.isInteger(byte) && (byte as number) >= -128 && (byte as number) <= 255,
          );
        if (!valid) return `headers.${index}.${name}: expected an array of bytes`;
      }
    }
  }
  return undefined;
}

/** Tells a Lambda Kafka event apart from other payloads (for example a scheduled event). */
export function isKafkaEvent(input: unknown): boolean {
  if (typeof input !== 'object' || input === null) return false;
  const source = (input as { eventSource?: unknown }).eventSource;
  return source === 'aws:kafka' || source === 'SelfManagedKafka';
}

/** Validates a Lambda Kafka event; throws KafkaEventInvalidError naming the first bad field. */
export function parseKafkaEvent(input: unknown): KafkaEvent {
  const result = eventSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.join('.') : '(root)';
    throw new KafkaEventInvalidError(
      `Kafka event is invalid: ${path}: ${issue?.message ?? 'unknown problem'}`,
      {
        cause: result.error,
      },
    );
  }
  for (const [group, records] of Object.entries(result.data.records)) {
    for (const [index, record] of records.entries()) {
      const problem = recordProblem(record);
      if (problem)
        throw new KafkaEventInvalidError(`Kafka event is invalid: records.${group}.${index}.${problem}`);
    }
  }
  return result.data as KafkaEvent;
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
        headers: (record.headers ?? []).flatMap((header) =>
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
