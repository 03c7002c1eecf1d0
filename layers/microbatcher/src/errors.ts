import { AppHubError } from '@apphub/platform';

/** Base error of the micro-batcher (batches, sealing, the lake, queries). */
export class MicroBatcherError extends AppHubError {}

/** A stored object of the lake (part, manifest) is missing or unreadable. */
export class LakeObjectError extends MicroBatcherError {}

/** A window could not be sealed (for example it kept changing under concurrent sealers). */
export class WindowSealError extends MicroBatcherError {}

/** A hybrid query was asked for something it cannot answer (unknown dataset, bad time range). */
export class QueryInvalidError extends MicroBatcherError {}

/** A descriptor changes its dataset's schema in a way the files already written cannot be read as. */
export class SchemaChangeRefusedError extends MicroBatcherError {}
