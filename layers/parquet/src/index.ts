export {
  type DecodedParquet,
  type DecodedParquetColumns,
  decodeParquet,
  decodeParquetColumns,
} from './decode.js';
export { arrowTypeOf, type EncodeParquetOptions, encodeParquet, encodeParquetColumns } from './encode.js';
export { ParquetDecodeError, ParquetError, ParquetValueInvalidError } from './errors.js';
export {
  type ColumnKind,
  type ColumnTypeMapping,
  canonicalDecimal,
  columnTypeOf,
  columnTypes,
  type DecimalColumnType,
  decimalOf,
  formatUnscaled,
  isIsoDate,
  isoDateOf,
  isReadableAs,
  kindOf,
  MAX_DECIMAL_PRECISION,
  type ParquetColumn,
  type ParquetColumnType,
  type ParquetCompression,
  type ParquetRow,
  type ParquetValue,
  parseColumnType,
  unscaledDecimal,
} from './types.js';
