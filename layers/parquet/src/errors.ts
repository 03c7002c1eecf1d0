import { AppHubError } from '@apphub/platform';

/** Base error of Parquet encoding and decoding. */
export class ParquetError extends AppHubError {}

/** A value does not fit its column (wrong type, or null in a required column). */
export class ParquetValueInvalidError extends ParquetError {}

/** Bytes that should be a Parquet file could not be read. */
export class ParquetDecodeError extends ParquetError {}
