import { type DataType, Type, tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { ParquetDecodeError } from './errors.js';
import type { ParquetColumn, ParquetColumnType, ParquetRow, ParquetValue } from './types.js';

export interface DecodedParquet {
  readonly columns: readonly ParquetColumn[];
  readonly rows: ParquetRow[];
}

/** Reads a Parquet file written by encodeParquet (or any file using the same column types). */
export function decodeParquet(bytes: Uint8Array): DecodedParquet {
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
  const vectors = columns.map((column) => table.getChild(column.name));
  const rows: ParquetRow[] = new Array(table.numRows);
  for (let index = 0; index < table.numRows; index++) {
    const row: Record<string, ParquetValue> = {};
    columns.forEach((column, position) => {
      const value = vectors[position]?.get(index) ?? null;
      row[column.name] = column.type === 'timestamp' && typeof value === 'bigint' ? Number(value) : value;
    });
    rows[index] = row;
  }
  return { columns, rows };
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
