/**
 * Column types with their Parquet mapping: string → BYTE_ARRAY (UTF8), int32 → INT32, int64 → INT64,
 * double → DOUBLE, boolean → BOOLEAN, timestamp → INT64 TIMESTAMP(MILLIS, isAdjustedToUTC=true).
 */
export type ParquetColumnType = 'string' | 'int32' | 'int64' | 'double' | 'boolean' | 'timestamp';

export interface ParquetColumn {
  readonly name: string;
  readonly type: ParquetColumnType;
  readonly nullable: boolean;
}

/**
 * In-memory values: string, number (int32, double, timestamp as UTC epoch milliseconds),
 * bigint (int64; a safe-integer number is accepted on write), boolean, or null.
 */
export type ParquetValue = string | number | bigint | boolean | null;

export type ParquetRow = Readonly<Record<string, ParquetValue>>;

/** Compression codecs offered; snappy is the default (fast, and what most readers expect). */
export type ParquetCompression = 'snappy' | 'zstd' | 'gzip' | 'none';
