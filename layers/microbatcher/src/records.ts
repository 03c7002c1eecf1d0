import type { DecodedKafkaRecord } from '@apphub/kafka-event';
import type { ParquetColumnType, ParquetValue } from '@apphub/parquet';
import type { DatasetDescriptor } from './descriptor.js';

/** A record that fits its dataset's schema, ready to be written to a hot part. */
export interface DatasetRow {
  readonly partition: number;
  readonly offset: number;
  /** Event time (UTC epoch ms) from the timestamp field. */
  readonly eventTime: number;
  /** True for a tombstone: the row with this upsert key is deleted. */
  readonly deleted: boolean;
  /** Schema fields; a tombstone carries only its key fields and timestamp. */
  readonly values: Readonly<Record<string, ParquetValue>>;
}

export type RecordOutcome =
  | { readonly ok: true; readonly row: DatasetRow }
  | { readonly ok: false; readonly reason: string };

const isoWithZone = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Turns a Kafka record into a row of `descriptor`, or says in one line why it cannot be one: not
 * decodable, missing or unparsable timestamp, a value that does not match the schema. A tombstone
 * (no value) takes its key fields and timestamp from the record key.
 */
export function decodeDatasetRecord(
  record: DecodedKafkaRecord,
  descriptor: DatasetDescriptor,
): RecordOutcome {
  const deleted = record.value === null;
  const source = deleted ? record.key : record.value;
  const what = deleted ? 'tombstone key' : 'value';
  if (source === null) return { ok: false, reason: 'tombstone without a key: nothing to delete' };
  let document: unknown;
  try {
    document = JSON.parse(source.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `${what} is not JSON: ${(error as Error).message}` };
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return { ok: false, reason: `${what} is not a JSON object` };
  }
  const fields = deleted
    ? descriptor.schema.fields.filter(
        (field) => field.name === descriptor.timestampField || descriptor.upsertKey.includes(field.name),
      )
    : descriptor.schema.fields;
  const values: Record<string, ParquetValue> = {};
  for (const field of descriptor.schema.fields) values[field.name] = null;
  for (const field of fields) {
    const raw = (document as Record<string, unknown>)[field.name];
    const required = deleted || !field.nullable || field.name === descriptor.timestampField;
    if (raw === undefined || raw === null) {
      if (required) return { ok: false, reason: `${what} field ${field.name} is missing` };
      continue;
    }
    const converted = convertValue(raw, field.type);
    if (converted === undefined) {
      return {
        ok: false,
        reason: `${what} field ${field.name}: expected ${field.type}, got ${describeValue(raw)}`,
      };
    }
    values[field.name] = converted;
  }
  return {
    ok: true,
    row: {
      partition: record.partition,
      offset: record.offset,
      eventTime: values[descriptor.timestampField] as number,
      deleted,
      values,
    },
  };
}

/** Converts a JSON value to a column value; undefined when it does not fit the type. */
export function convertValue(raw: unknown, type: ParquetColumnType): ParquetValue | undefined {
  switch (type) {
    case 'string':
      return typeof raw === 'string' ? raw : undefined;
    case 'boolean':
      return typeof raw === 'boolean' ? raw : undefined;
    case 'double':
      return typeof raw === 'number' && Number.isFinite(raw) ? raw : undefined;
    case 'int32':
      return typeof raw === 'number' && Number.isInteger(raw) && raw === (raw | 0) ? raw : undefined;
    case 'int64':
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) return BigInt(raw);
      if (typeof raw === 'string' && /^-?\d{1,19}$/.test(raw)) {
        const value = BigInt(raw);
        return value >= -(2n ** 63n) && value < 2n ** 63n ? value : undefined;
      }
      return undefined;
    case 'timestamp': {
      if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : undefined;
      return typeof raw === 'string' ? parseTimestamp(raw) : undefined;
    }
  }
}

/**
 * Recently parsed ISO-8601 texts. Windowed data repeats the same few timestamps (every aggregate of
 * a window has the same window_start), and validating and parsing one costs more than the rest of
 * the record. Bounded: cleared when full.
 */
const parsedTimestamps = new Map<string, number | undefined>();

function parseTimestamp(text: string): number | undefined {
  if (parsedTimestamps.has(text)) return parsedTimestamps.get(text);
  let time: number | undefined;
  if (isoWithZone.test(text)) {
    const parsed = Date.parse(text);
    time = Number.isNaN(parsed) ? undefined : parsed;
  }
  if (parsedTimestamps.size >= 4_096) parsedTimestamps.clear();
  parsedTimestamps.set(text, time);
  return time;
}

function describeValue(raw: unknown): string {
  const text = JSON.stringify(raw) ?? String(raw);
  return `${Array.isArray(raw) ? 'array' : typeof raw} ${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}
