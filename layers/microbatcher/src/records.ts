import type { DecodedKafkaRecord } from '@apphub/kafka-event';
import {
  canonicalDecimal,
  decimalOf,
  isIsoDate,
  type ParquetColumnType,
  type ParquetValue,
} from '@apphub/parquet';
import type { DatasetDescriptor } from './descriptor.js';
import { numberSource } from './json-source.js';

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
  const text = source.toString('utf8');
  let document: unknown;
  try {
    document = JSON.parse(text);
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
    const decimal = decimalOf(field.type);
    if (decimal !== undefined && (typeof raw === 'number' || typeof raw === 'string')) {
      // JSON.parse has rounded a number to a double: the digits come from the record's own text.
      const digits = typeof raw === 'string' ? raw : numberSource(text, field.name);
      const parsed = digits === undefined ? undefined : decimalValue(digits, decimal);
      if (parsed === undefined || 'problem' in parsed) {
        const shown = digits === undefined ? describeValue(raw) : describeText(digits, typeof raw);
        const why = parsed === undefined ? '' : `: ${parsed.problem}`;
        return {
          ok: false,
          reason: `${what} field ${field.name}: ${shown} does not fit ${field.type}${why}`,
        };
      }
      values[field.name] = parsed.value;
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

/**
 * A decimal's canonical text from the digits a record sent (a JSON number's source text, or a
 * string): exact, never rounded. Flink's json format writes DECIMAL(38, 9) as plain text with all
 * nine decimals (`12.500000000`, with `json.encode.decimal-as-plain-number`), which is already
 * canonical and only checked; without that option it strips trailing zeros and may use an exponent
 * (`1E-9`, `1E+6`, `12.5`), which is converted.
 */
function decimalValue(
  digits: string,
  decimal: { readonly precision: number; readonly scale: number },
): { value: string } | { problem: string } {
  // decimalOf hands out one object per type, so the pattern is built once per type.
  const pattern = canonicalPattern(decimal);
  if (pattern.test(digits) && !negativeZero.test(digits)) return { value: digits };
  return canonicalDecimal(digits, decimal.precision, decimal.scale);
}

const negativeZero = /^-0(\.0*)?$/;
const canonicalPatterns = new Map<object, RegExp>();

/** Canonical decimal text of decimal(precision, scale): no leading zeros, exactly `scale` decimals. */
function canonicalPattern(decimal: { readonly precision: number; readonly scale: number }): RegExp {
  let pattern = canonicalPatterns.get(decimal);
  if (pattern === undefined) {
    const { precision, scale } = decimal;
    const whole = precision === scale ? '0' : `(0|[1-9]\\d{0,${precision - scale - 1}})`;
    pattern = new RegExp(`^-?${whole}${scale === 0 ? '' : `\\.\\d{${scale}}`}$`);
    canonicalPatterns.set(decimal, pattern);
  }
  return pattern;
}

/**
 * Converts a JSON value to a column value; undefined when it does not fit the type. A decimal from
 * a string is exact; from a number it is the double's shortest text, so records go through
 * decodeDatasetRecord, which reads a number's digits from the record's text instead.
 */
export function convertValue(raw: unknown, type: ParquetColumnType): ParquetValue | undefined {
  const decimal = decimalOf(type);
  if (decimal !== undefined) {
    if (typeof raw !== 'string' && !(typeof raw === 'number' && Number.isFinite(raw))) return undefined;
    const parsed = decimalValue(typeof raw === 'string' ? raw : String(raw), decimal);
    return 'value' in parsed ? parsed.value : undefined;
  }
  switch (type as Exclude<ParquetColumnType, `decimal(${number},${number})`>) {
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
    case 'date':
      return typeof raw === 'string' && isIsoDate(raw) ? raw : undefined;
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
  return describeText(JSON.stringify(raw) ?? String(raw), Array.isArray(raw) ? 'array' : typeof raw);
}

function describeText(text: string, kind: string): string {
  const shown = kind === 'string' && !text.startsWith('"') ? JSON.stringify(text) : text;
  return `${kind} ${shown.length > 50 ? `${shown.slice(0, 50)}…` : shown}`;
}
