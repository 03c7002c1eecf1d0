import { type DataType, type Decimal, type Table, Type, tableFromIPC, type Vector } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { ParquetDecodeError } from './errors.js';
import {
  formatUnscaled,
  isoDateOf,
  isReadableAs,
  type ParquetColumn,
  type ParquetColumnType,
  type ParquetRow,
  type ParquetValue,
} from './types.js';

/** A decoded file read column by column: `readValue(column, row)`, without one object per row. */
export interface DecodedParquetColumns {
  /** The columns read: the expected ones, or the file's. */
  readonly columns: readonly ParquetColumn[];
  /** The file's own columns, as stored. */
  readonly stored: readonly ParquetColumn[];
  readonly length: number;
  readonly readValue: (column: string, row: number) => ParquetValue;
}

export interface DecodedParquet {
  readonly columns: readonly ParquetColumn[];
  readonly rows: ParquetRow[];
}

/**
 * Reads a Parquet file written by encodeParquet (or any file using the same column types). With
 * `expected` columns, rows have exactly those: see decodeParquetColumns.
 */
export function decodeParquet(bytes: Uint8Array, expected?: readonly ParquetColumn[]): DecodedParquet {
  const { columns, length, readValue } = decodeParquetColumns(bytes, expected);
  const rows: ParquetRow[] = new Array(length);
  for (let index = 0; index < length; index++) {
    const row: Record<string, ParquetValue> = {};
    for (const column of columns) row[column.name] = readValue(column.name, index);
    rows[index] = row;
  }
  return { columns, rows };
}

/**
 * Reads a Parquet file into whole-column arrays, which are far faster than per-cell Arrow access.
 * With `expected` columns (a newer schema than the file's, say), the file is read as that schema,
 * by name: a column the file lacks reads as null when it is nullable, a column stored in a type
 * that isReadableAs the expected one is converted (int32 to int64, a decimal to a larger
 * precision), and anything else is a ParquetDecodeError naming the column and both types.
 */
export function decodeParquetColumns(
  bytes: Uint8Array,
  expected?: readonly ParquetColumn[],
): DecodedParquetColumns {
  let table: Table;
  try {
    table = tableFromIPC(readParquet(bytes).intoIPCStream());
  } catch (error) {
    throw new ParquetDecodeError(`cannot read Parquet (${bytes.byteLength} bytes): ${String(error)}`, {
      cause: error,
    });
  }
  const stored = table.schema.fields.map(
    (field): ParquetColumn => ({
      name: field.name,
      type: columnTypeOf(field.type, field.name),
      nullable: field.nullable,
    }),
  );
  const storedByName = new Map(stored.map((column) => [column.name, column]));
  const columns = expected ?? stored;
  const readers = new Map(
    columns.map((column) => {
      const found = storedByName.get(column.name);
      if (found === undefined) {
        if (!column.nullable)
          throw new ParquetDecodeError(`the file has no column ${column.name}, which is required`);
        return [column.name, () => null] as const;
      }
      if (!isReadableAs(found.type, column.type)) {
        throw new ParquetDecodeError(
          `column ${column.name} is ${found.type} in the file and cannot be read as ${column.type}`,
        );
      }
      return [column.name, columnReader(table.getChild(column.name)!, found.type, column.type)] as const;
    }),
  );
  return {
    columns,
    stored,
    length: table.numRows,
    readValue: (column, row) => {
      const read = readers.get(column);
      if (!read) throw new ParquetDecodeError(`the file has no column ${column}`);
      return read(row);
    },
  };
}

/** Reads one column's values as `wanted` (the stored type, or one it isReadableAs). */
function columnReader(
  vector: Vector,
  stored: ParquetColumnType,
  wanted: ParquetColumnType,
): (index: number) => ParquetValue {
  const values = vector.toArray() as ArrayLike<unknown>;
  const hasNulls = vector.nullCount > 0;
  let convert: (index: number) => ParquetValue;
  if (stored.startsWith('decimal(')) {
    const scale = (vector.type as Decimal).scale;
    convert = (index) => decimalText(values as Uint32Array, index * 4, scale);
  } else if (stored === 'date') {
    // Arrow hands Date32 values out as UTC milliseconds.
    convert = (index) => isoDateOf(values[index] as number);
  } else if (stored === 'int32' && wanted === 'int64') {
    convert = (index) => BigInt(values[index] as number);
  } else if (stored === 'timestamp' || stored === 'int32') {
    convert = (index) => Number(values[index]);
  } else if (stored === 'boolean') {
    convert = (index) => Boolean(values[index]);
  } else {
    convert = (index) => values[index] as ParquetValue;
  }
  return hasNulls ? (index) => (vector.isValid(index) ? convert(index) : null) : convert;
}

const twoTo32 = 2 ** 32;

/** The canonical text of the Decimal128 at `offset` (four little-endian 32-bit words, two's complement). */
function decimalText(words: Uint32Array, offset: number, scale: number): string {
  const low = words[offset]!;
  const high = words[offset + 1]!;
  const upper = words[offset + 2]!;
  const top = words[offset + 3]!;
  // Values within ±2^53 (nearly all) convert through Number exactly; the rest through BigInt.
  if (upper === 0 && top === 0 && high < 0x20_0000)
    return formatUnscaled(String(high * twoTo32 + low), scale);
  if (upper === 0xffff_ffff && top === 0xffff_ffff && high >= 0xffe0_0000) {
    return formatUnscaled(String((high - twoTo32) * twoTo32 + low), scale);
  }
  const unsigned = (BigInt(top) << 96n) | (BigInt(upper) << 64n) | (BigInt(high) << 32n) | BigInt(low);
  return formatUnscaled(BigInt.asIntN(128, unsigned).toString(), scale);
}

function columnTypeOf(type: DataType, name: string): ParquetColumnType {
  switch (type.typeId) {
    case Type.Utf8:
    case Type.LargeUtf8:
      return 'string';
    case Type.Int:
      return (type as unknown as { bitWidth: number }).bitWidth === 64 ? 'int64' : 'int32';
    case Type.Float:
      return 'double';
    case Type.Bool:
      return 'boolean';
    case Type.Date:
      return 'date';
    case Type.Timestamp:
      return 'timestamp';
    case Type.Decimal: {
      const { precision, scale, bitWidth } = type as Decimal;
      if (bitWidth === 128) return `decimal(${precision},${scale})`;
      break;
    }
  }
  throw new ParquetDecodeError(`column ${name} has an unsupported type ${String(type)}`);
}
