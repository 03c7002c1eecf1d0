import { AppHubError } from '@apphub/platform';

/** A value does not fit its column (wrong type, or null in a required column). */
export class ParquetValueInvalidError extends AppHubError {}

/** Bytes that should be a Parquet file could not be read. */
export class ParquetDecodeError extends AppHubError {}
