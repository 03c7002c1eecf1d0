import { z } from '@apphub/platform';
import { KafkaEventInvalidError } from './errors.js';
import type { DecodedKafkaRecord, KafkaEvent, KafkaEventRecord, KafkaHeader } from './types.js';

const eventSchema = z.object({
  eventSource: z.enum(['aws:kafka', 'SelfManagedKafka']),
  eventSourceArn: z.string().optional(),
  bootstrapServers: z.string().optional(),
  records: z.record(z.string(), z.array(z.unknown())),
});

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** One record's fields up to its key and value types (not their base64); "field: message" or undefined. */
function fieldsProblem(value: Record<string, unknown>): string | undefined {
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
    if (text != null && typeof text !== 'string') return `${field}: expected base64`;
  }
  return undefined;
}

function headersProblem(headers: unknown): string | undefined {
  if (headers === undefined) return undefined;
  if (!Array.isArray(headers)) return 'headers: expected an array';
  for (const [index, header] of headers.entries()) {
    if (typeof header !== 'object' || header === null) return `headers.${index}: expected an object`;
    for (const [name, bytes] of Object.entries(header)) {
      const valid =
        Array.isArray(bytes) &&
        bytes.every((byte) => Number.isInteger(byte) && (byte as number) >= -128 && (byte as number) <= 255);
      if (!valid) return `headers.${index}.${name}: expected an array of bytes`;
    }
  }
  return undefined;
}

/**
 * Checks one record by hand: a batch holds up to 10,000 records and a schema library per record
 * costs more than the rest of decoding. Lambda adds fields over time, so unknown keys are allowed.
 * Returns the problem as "field: message", or undefined.
 */
function recordProblem(record: unknown): string | undefined {
  if (typeof record !== 'object' || record === null) return '(record): expected an object';
  const value = record as Record<string, unknown>;
  const problem = fieldsProblem(value);
  if (problem) return problem;
  for (const field of ['key', 'value'] as const) {
    const text = value[field];
    if (typeof text === 'string' && !base64.test(text)) return `${field}: expected base64`;
  }
  return headersProblem(value.headers);
}

const equalsSign = 61;

/**
 * The bytes of `text` when it is what the base64 check of recordProblem accepts, else undefined;
 * one pass over the text instead of a regular expression and then the decoder. Node's decoder skips
 * characters outside the alphabet (and stops at a padding sign), so any such character leaves fewer
 * bytes than the text's length promises; it also reads base64url's "-" and "_", checked apart. One
 * skipped character hides in a length of 4n+1 characters (the last one decodes to no byte), so those
 * lengths, which Lambda never sends, take the regular expression.
 */
function decodeBase64(text: string): Buffer | undefined {
  const bytes = Buffer.from(text, 'base64');
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === equalsSign) end -= 1;
  if (end % 4 === 1 || text.length - end > 2) return base64.test(text) ? bytes : undefined;
  if (bytes.length !== Math.floor((end * 3) / 4) || text.includes('-') || text.includes('_'))
    return undefined;
  return bytes;
}

/** Records without headers share one empty list. */
const noHeaders: readonly KafkaHeader[] = Object.freeze([]);

/** Tells a Lambda Kafka event apart from other payloads (for example a scheduled event). */
export function isKafkaEvent(input: unknown): boolean {
  if (typeof input !== 'object' || input === null) return false;
  const source = (input as { eventSource?: unknown }).eventSource;
  return source === 'aws:kafka' || source === 'SelfManagedKafka';
}

/** The event's envelope (source and records grouped by partition); records are checked apart. */
function parseEnvelope(input: unknown): z.infer<typeof eventSchema> {
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
  return result.data;
}

function recordInvalid(group: string, index: number, problem: string): KafkaEventInvalidError {
  return new KafkaEventInvalidError(`Kafka event is invalid: records.${group}.${index}.${problem}`);
}

/** Validates a Lambda Kafka event; throws KafkaEventInvalidError naming the first bad field. */
export function parseKafkaEvent(input: unknown): KafkaEvent {
  const envelope = parseEnvelope(input);
  for (const [group, records] of Object.entries(envelope.records)) {
    for (const [index, record] of records.entries()) {
      const problem = recordProblem(record);
      if (problem) throw recordInvalid(group, index, problem);
    }
  }
  return envelope as KafkaEvent;
}

/**
 * Decodes every record of a Lambda Kafka event: base64 key and value to bytes, header byte arrays to
 * buffers. Records come back ordered by topic, partition and offset, whatever the event's key order.
 * Checks each record as parseKafkaEvent does, with the same first problem named, while decoding it.
 */
export function decodeKafkaEvent(input: unknown): DecodedKafkaRecord[] {
  const envelope = parseEnvelope(input);
  const decoded: DecodedKafkaRecord[] = [];
  for (const [group, records] of Object.entries(envelope.records)) {
    for (let index = 0; index < records.length; index++) {
      const candidate = records[index];
      if (typeof candidate !== 'object' || candidate === null)
        throw recordInvalid(group, index, '(record): expected an object');
      const fields = fieldsProblem(candidate as Record<string, unknown>);
      if (fields) throw recordInvalid(group, index, fields);
      const record = candidate as KafkaEventRecord;
      const key = record.key == null ? null : decodeBase64(record.key);
      if (key === undefined) throw recordInvalid(group, index, 'key: expected base64');
      const value = record.value == null ? null : decodeBase64(record.value);
      if (value === undefined) throw recordInvalid(group, index, 'value: expected base64');
      const headers = headersProblem(record.headers);
      if (headers) throw recordInvalid(group, index, headers);
      decoded.push({
        topic: record.topic,
        partition: record.partition,
        offset: record.offset,
        timestamp: record.timestamp,
        timestampType: record.timestampType,
        key,
        value,
        headers:
          record.headers === undefined || record.headers.length === 0
            ? noHeaders
            : record.headers.flatMap((header) =>
                Object.entries(header).map(
                  ([name, bytes]): KafkaHeader => ({
                    name,
                    value: Buffer.from(bytes.map((byte) => byte & 0xff)),
                  }),
                ),
              ),
      });
    }
  }
  // Lambda delivers each partition's records in offset order: sorting is then a check.
  return isOrdered(decoded) ? decoded : decoded.sort(compareRecords);
}

function compareRecords(a: DecodedKafkaRecord, b: DecodedKafkaRecord): number {
  return compareText(a.topic, b.topic) || a.partition - b.partition || a.offset - b.offset;
}

function isOrdered(records: readonly DecodedKafkaRecord[]): boolean {
  for (let index = 1; index < records.length; index++)
    if (compareRecords(records[index - 1]!, records[index]!) > 0) return false;
  return true;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
