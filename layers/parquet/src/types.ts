/**
 * The lake's column types: what each is in Parquet, in the Glue/Athena table and in `npm run query`
 * output, one row each (`columnTypes`). Pure and dependency-free, so the CDK app reads it through
 * `@apphub/parquet/types` without loading the Parquet encoder.
 */

/** `decimal(precision,scale)` in its canonical spelling, which is also its Glue/Athena type. */
export type DecimalColumnType = `decimal(${number},${number})`;

/** A column type; decimals carry their precision (1-38) and scale (0 to precision). */
export type ParquetColumnType =
  | 'string'
  | 'int32'
  | 'int64'
  | 'double'
  | 'boolean'
  | 'date'
  | 'timestamp'
  | DecimalColumnType;

/** The family of a column type: its row in `columnTypes`. */
export type ColumnKind =
  | 'string'
  | 'int32'
  | 'int64'
  | 'double'
  | 'boolean'
  | 'date'
  | 'timestamp'
  | 'decimal';

export interface ParquetColumn {
  readonly name: string;
  readonly type: ParquetColumnType;
  readonly nullable: boolean;
}

/**
 * In-memory values: string (also a decimal, as its canonical text at the column's scale such as
 * `12.340000000`, and a date, as `YYYY-MM-DD`), number (int32, double, timestamp as UTC epoch
 * milliseconds), bigint (int64; a safe-integer number is accepted on write), boolean, or null.
 * Decimals and dates are text so that no value passes through a binary fraction and each reads as
 * it prints; canonical text makes equal values equal strings.
 */
export type ParquetValue = string | number | bigint | boolean | null;

export type ParquetRow = Readonly<Record<string, ParquetValue>>;

/** Compression codecs offered; snappy is the default (fast, and what most readers expect). */
export type ParquetCompression = 'snappy' | 'zstd' | 'gzip' | 'none';

/** The largest precision of a decimal: Arrow's Decimal128 and Athena's DECIMAL both stop at 38 digits. */
export const MAX_DECIMAL_PRECISION = 38;

const decimalPattern = /^decimal\(\s*(\d{1,2})\s*(?:,\s*(\d{1,2})\s*)?\)$/;

/**
 * The canonical type for a spelling such as `decimal(38, 9)`, `DECIMAL(10,2)` or `decimal(5)` (scale
 * 0), or a message saying why it is none.
 */
export function parseColumnType(text: string): { type: ParquetColumnType } | { problem: string } {
  if ((simpleTypes as readonly string[]).includes(text)) return { type: text as ParquetColumnType };
  const match = decimalPattern.exec(text.toLowerCase());
  if (!match) {
    return {
      problem: `expected one of ${simpleTypes.join(', ')} or decimal(precision, scale), got "${text}"`,
    };
  }
  const precision = Number(match[1]);
  const scale = Number(match[2] ?? 0);
  if (precision < 1 || precision > MAX_DECIMAL_PRECISION)
    return { problem: `decimal precision must be 1-${MAX_DECIMAL_PRECISION}, got ${precision}` };
  if (scale > precision)
    return { problem: `decimal scale must be at most the precision (${precision}), got ${scale}` };
  return { type: `decimal(${precision},${scale})` };
}

const simpleTypes = ['string', 'int32', 'int64', 'double', 'boolean', 'date', 'timestamp'] as const;

/** Precision and scale of a decimal type; undefined for the other types. */
export function decimalOf(type: ParquetColumnType): { precision: number; scale: number } | undefined {
  if (!type.startsWith('decimal(')) return undefined;
  let parts = decimalParts.get(type);
  if (parts === undefined) {
    const [precision, scale] = type.slice(8, -1).split(',').map(Number);
    parts = { precision: precision!, scale: scale! };
    decimalParts.set(type, parts);
  }
  return parts;
}

const decimalParts = new Map<string, { precision: number; scale: number }>();

export function kindOf(type: ParquetColumnType): ColumnKind {
  return type.startsWith('decimal(') ? 'decimal' : (type as ColumnKind);
}

/**
 * Whether a file column of type `stored` can be read as a column of type `wanted` without loss: the
 * same type, int32 as int64, or a decimal of the same scale as one of a larger precision. The one
 * rule for the widenings a dataset's schema may make (the readers convert exactly these).
 */
export function isReadableAs(stored: ParquetColumnType, wanted: ParquetColumnType): boolean {
  if (stored === wanted) return true;
  if (stored === 'int32' && wanted === 'int64') return true;
  const from = decimalOf(stored);
  const to = decimalOf(wanted);
  return from !== undefined && to !== undefined && from.scale === to.scale && to.precision >= from.precision;
}

/** How a column type is stored and read: Parquet's physical and logical type, Athena's type, the query's text. */
export interface ColumnTypeMapping {
  /** Parquet physical type and logical annotation as parquet-wasm writes them (checked by the unit tests). */
  readonly parquet: (type: ParquetColumnType) => { readonly physical: string; readonly logical?: string };
  /** The Glue/Athena (Hive DDL) column type that reads that Parquet type. */
  readonly athena: (type: ParquetColumnType) => string;
  /** A value as `npm run query` prints it in its table. */
  readonly text: (value: Exclude<ParquetValue, null>) => string;
  /** A value in `npm run query -- --json`: exact, so big integers and decimals are strings. */
  readonly json: (value: Exclude<ParquetValue, null>) => string | number | boolean;
}

const asText = (value: Exclude<ParquetValue, null>) => String(value);
const isoTimestamp = (value: Exclude<ParquetValue, null>) => new Date(value as number).toISOString();

/**
 * Every column type, one row each. Athena types: https://docs.aws.amazon.com/athena/latest/ug/data-types.html;
 * Parquet logical types: https://github.com/apache/parquet-format/blob/master/LogicalTypes.md (a
 * DECIMAL of up to 9 digits is stored as INT32, up to 18 as INT64, else as a 16-byte
 * FIXED_LEN_BYTE_ARRAY, two's complement big-endian, which is what the Arrow writer chooses).
 */
export const columnTypes: Readonly<Record<ColumnKind, ColumnTypeMapping>> = {
  string: {
    parquet: () => ({ physical: 'BYTE_ARRAY', logical: 'STRING' }),
    athena: () => 'string',
    text: asText,
    json: (value) => value as string,
  },
  int32: {
    parquet: () => ({ physical: 'INT32' }),
    athena: () => 'int',
    text: asText,
    json: (value) => value as number,
  },
  int64: {
    parquet: () => ({ physical: 'INT64' }),
    athena: () => 'bigint',
    text: asText,
    json: (value) => (Number.isSafeInteger(Number(value)) ? Number(value) : String(value)),
  },
  double: {
    parquet: () => ({ physical: 'DOUBLE' }),
    athena: () => 'double',
    text: asText,
    json: (value) => value as number,
  },
  boolean: {
    parquet: () => ({ physical: 'BOOLEAN' }),
    athena: () => 'boolean',
    text: asText,
    json: (value) => value as boolean,
  },
  date: {
    parquet: () => ({ physical: 'INT32', logical: 'DATE' }),
    athena: () => 'date',
    text: asText,
    json: (value) => value as string,
  },
  timestamp: {
    parquet: () => ({ physical: 'INT64', logical: 'TIMESTAMP(MILLIS,UTC)' }),
    athena: () => 'timestamp',
    text: isoTimestamp,
    json: isoTimestamp,
  },
  decimal: {
    parquet: (type) => {
      const { precision, scale } = decimalOf(type)!;
      const physical = precision <= 9 ? 'INT32' : precision <= 18 ? 'INT64' : 'FIXED_LEN_BYTE_ARRAY(16)';
      return { physical, logical: `DECIMAL(${precision},${scale})` };
    },
    athena: (type) => type,
    text: asText,
    json: (value) => value as string,
  },
};

/** The mapping row of a column type. */
export function columnTypeOf(type: ParquetColumnType): ColumnTypeMapping {
  return columnTypes[kindOf(type)];
}

/**
 * Parses decimal text (JSON number grammar: optional minus, digits, optional fraction, optional
 * exponent) into the canonical text of `decimal(precision,scale)`: exactly `scale` fraction digits,
 * no leading zeros, no negative zero. Never goes through a binary number, so every digit is kept;
 * text that does not fit is a problem, never rounded.
 */
export function canonicalDecimal(
  text: string,
  precision: number,
  scale: number,
): { value: string } | { problem: string } {
  const match = decimalText.exec(text);
  if (!match) return { problem: 'not a decimal number' };
  const [, sign, whole, fraction = '', exponentText] = match;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  // The value is digits × 10^(exponent - fraction.length); at `scale` the unscaled integer is
  // digits × 10^shift.
  const shift = exponent - fraction.length + scale;
  if (digits === '') return { value: formatUnscaled('', scale) };
  if (shift < 0) {
    const dropped = digits.slice(Math.max(0, digits.length + shift));
    if (/[1-9]/.test(dropped)) return { problem: `more than ${scale} digits after the decimal point` };
    digits = digits.slice(0, Math.max(0, digits.length + shift));
  } else if (digits.length + shift <= precision) {
    digits += '0'.repeat(shift);
  } else {
    return { problem: `more than ${precision - scale} digits before the decimal point` };
  }
  if (digits.length > precision)
    return { problem: `more than ${precision - scale} digits before the decimal point` };
  return { value: formatUnscaled(digits === '' ? '' : `${sign}${digits}`, scale) };
}

const decimalText = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d{1,9}))?$/;

/** Canonical text of an unscaled integer given as its decimal digits (with a minus sign, or '' for zero). */
export function formatUnscaled(unscaled: string, scale: number): string {
  const negative = unscaled.startsWith('-');
  const digits = (negative ? unscaled.slice(1) : unscaled).replace(/^0+/, '');
  if (digits === '') return scale === 0 ? '0' : `0.${'0'.repeat(scale)}`;
  const padded = digits.padStart(scale + 1, '0');
  const point = padded.length - scale;
  const text = scale === 0 ? padded : `${padded.slice(0, point)}.${padded.slice(point)}`;
  return negative ? `-${text}` : text;
}

/**
 * The unscaled integer of a decimal's text at `scale` (`'12.5'` at scale 2 is 1250n), for text
 * with at most `scale` fraction digits; undefined for anything else.
 */
export function unscaledDecimal(text: string, scale: number): bigint | undefined {
  const match = plainDecimal.exec(text);
  if (!match) return undefined;
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > scale) return undefined;
  const magnitude = BigInt(`${whole}${fraction.padEnd(scale, '0')}`);
  return sign === '-' ? -magnitude : magnitude;
}

const plainDecimal = /^(-?)(\d+)(?:\.(\d+))?$/;

/** Whether `text` is a calendar date `YYYY-MM-DD` (years 0001-9999). */
export function isIsoDate(text: string): boolean {
  if (!isoDate.test(text) || text.startsWith('0000')) return false;
  return isoDateOf(Date.parse(`${text}T00:00:00Z`)) === text;
}

const isoDate = /^\d{4}-\d{2}-\d{2}$/;

/** `YYYY-MM-DD` of a UTC time in milliseconds. */
export function isoDateOf(time: number): string {
  return Number.isNaN(time) ? '' : new Date(time).toISOString().slice(0, 10);
}
