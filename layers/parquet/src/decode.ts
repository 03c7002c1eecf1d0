import { type DataType, Type, tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { ParquetDecodeError } from './errors.js';
import type { ParquetColumn, ParquetColumnType, ParquetRow, ParquetValue } from './types.js';

/** A decoded file read column by column: `readValue(column, row)`, without one object per row. */
export interface DecodedParquetColumns {
  readonly columns: readonly ParquetColumn[];
  readonly length: number;
  readonly readValue: (column: string, row: number) => ParquetValue;
}

export interface DecodedParquet {
  readonly columns: readonly ParquetColumn[];
  readonly rows: ParquetRow[];
}

/** Reads a Parquet file written by encodeParquet (or any file using the same column types). */
export function decodeParquet(bytes: Uint8Array): DecodedParquet {
  const { columns, length, readValue } = decodeParquetColumns(bytes);
  const rows: ParquetRow[] = new Array(length);
  for (let index = 0; index < length; index++) {
    const row: Record<string, ParquetValue> = {};
    for (const column of columns) row[column.name] = readValue(column.name, index);
    rows[index] = row;
  }
  return { columns, rows };
}

/** Reads a Parquet file into whole-column arrays, which are far faster than per-cell Arrow access. */
export function decodeParquetColumns(bytes: Uint8Array): DecodedParquetColumns {
  let table: ReturnType<typeof tableFromIPC>;
  try {
    table = tableFromIPC(readParquet(bytes).intoIPCStream());
  } catch (error) {
    throw new ParquetDecodeError(`cannot read Parquet (${bytes.byteLength} bytes): ${String(error)}`, {
      cause: error,
    });
  }
  const columns = table.schema.fields.map(
    (field): ParquetColumn => ({
      name: field.name,
      type: columnTypeOf(field.type, field.name),
      nullable: field.nullable,
    }),
  );
  const readers = new Map(
    columns.map((column) => {
      const vector = table.getChild(column.name)!;
      const values = vector.toArray() as ArrayLike<unknown>;
      const hasNulls = vector.nullCount > 0;
      const convert =
        column.type === 'timestamp' || column.type === 'int32'
          ? (value: unknown) => Number(value)
          : column.type === 'boolean'
            ? (value: unknown) => Boolean(value)
            : (value: unknown) => value as ParquetValue;
      const read = (index: number): ParquetValue =>
        hasNulls && !vector.isValid(index) ? null : convert(values[index]);
      return [column.name, read] as const;
    }),
  );
  return {
    columns,
    length: table.numRows,
    readValue: (column, row) => {
      const read = readers.get(column);
      if (!read) throw new ParquetDecodeError(`the file has no column ${column}`);
      return read(row);
    },
  };
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
    case Type.Timestamp:
      return 'timestamp';
    default:
      throw new ParquetDecodeError(`column ${name} has an unsupported type ${String(type)}`);
  }
}
