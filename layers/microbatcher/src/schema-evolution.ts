import { isReadableAs } from '@apphub/parquet/types';
import { parseWith, z } from '@apphub/platform/settings';
import { type DatasetDescriptor, type DatasetField, fieldSchema } from './descriptor.js';
import { durationSchema } from './duration.js';
import committedHistoryJson from './schema-history.json' with { type: 'json' };

/**
 * What a dataset's stored data depends on: its columns, and the fields that place and identify a
 * row (the window layout and the upsert key). A descriptor may change anything else freely.
 */
export interface DatasetSchema {
  readonly fields: readonly DatasetField[];
  readonly timestampField: string;
  readonly upsertKey: readonly string[];
  readonly partitionKeys: readonly string[];
  /** Storage window length in milliseconds. */
  readonly windowDuration: number;
}

/** A DatasetSchema as stored: the lake's record writes the window in milliseconds, the repo's history as a duration. */
export const datasetSchemaSchema = z.strictObject({
  fields: z.array(fieldSchema).min(1),
  timestampField: z.string().min(1),
  upsertKey: z.array(z.string().min(1)).min(1),
  partitionKeys: z.array(z.string().min(1)),
  windowDuration: z.union([z.number().int().positive(), durationSchema]),
});

/** The schema a descriptor declares. */
export function schemaOf(descriptor: DatasetDescriptor): DatasetSchema {
  return {
    fields: descriptor.schema.fields,
    timestampField: descriptor.timestampField,
    upsertKey: descriptor.upsertKey,
    partitionKeys: descriptor.partitionKeys,
    windowDuration: descriptor.windowDuration,
  };
}

/** What changing a dataset's schema from the one in force to a new one amounts to. */
export type SchemaChange =
  | { readonly kind: 'unchanged' }
  /** Every file written before reads as the new schema; `changes` says how, one phrase each. */
  | { readonly kind: 'evolved'; readonly changes: readonly string[] }
  /** Files written before cannot be read as the new schema; `reason` is one line naming the field. */
  | { readonly kind: 'refused'; readonly reason: string };

/** Where the docs explain the allowed changes and the way out of a refused one. */
export const SCHEMA_EVOLUTION_DOCS = 'docs/microbatcher.md#schema-evolution';

const wayOut = `keep the old schema, or write to a new dataset name or backfill (${SCHEMA_EVOLUTION_DOCS})`;
const describeField = (field: DatasetField) => `${field.nullable ? 'nullable ' : ''}${field.type}`;
const list = (names: readonly string[]) => `[${names.join(', ')}]`;

/**
 * The one rule for a dataset's schema changes, applied at synth (against the history committed in
 * the repo) and at handler start (against the schema the lake records). Allowed: a new nullable
 * field, a wider type (int32 to int64, a decimal of larger precision and the same scale: the
 * conversions isReadableAs names, which every reader applies), and a required field made nullable,
 * because files written before read as the new schema by column name: through the Glue table (Athena
 * reads Parquet by name, a missing column as null, and INT as BIGINT:
 * https://docs.aws.amazon.com/athena/latest/ug/handling-schema-updates-chapter.html,
 * https://docs.aws.amazon.com/athena/latest/ug/updates-changing-column-type.html) and through
 * `npm run query`. Anything else (a removed, renamed or narrowed field, another type, a new required
 * field, a changed window, timestamp field, upsert key or partition keys) would leave old files
 * unreadable or wrongly placed, and is refused. Field order does not matter (columns are read by name).
 */
export function decideSchemaChange(
  dataset: string,
  current: DatasetSchema,
  next: DatasetSchema,
): SchemaChange {
  const refused = (what: string): SchemaChange => ({
    kind: 'refused',
    reason: `dataset ${dataset}: ${what}; ${wayOut}`,
  });
  const layout: [string, string, string][] = [
    ['timestampField', current.timestampField, next.timestampField],
    ['upsertKey', list(current.upsertKey), list(next.upsertKey)],
    ['partitionKeys', list(current.partitionKeys), list(next.partitionKeys)],
    ['windowDuration', `${current.windowDuration} ms`, `${next.windowDuration} ms`],
  ];
  for (const [setting, before, after] of layout) {
    if (before !== after)
      return refused(`${setting} changed from ${before} to ${after}, which places rows differently`);
  }
  const changes: string[] = [];
  const nextByName = new Map(next.fields.map((field) => [field.name, field]));
  for (const field of current.fields) {
    const after = nextByName.get(field.name);
    if (after === undefined) return refused(`field ${field.name} (${describeField(field)}) was removed`);
    if (!isReadableAs(field.type, after.type)) {
      return refused(
        `field ${field.name} changed from ${field.type} to ${after.type}, which files written as ${field.type} cannot be read as`,
      );
    }
    if (field.nullable && !after.nullable) {
      return refused(
        `field ${field.name} changed from nullable ${field.type} to required ${after.type}, and files written before may hold nulls`,
      );
    }
    if (field.type !== after.type)
      changes.push(`field ${field.name} widened from ${field.type} to ${after.type}`);
    if (!field.nullable && after.nullable) changes.push(`field ${field.name} made nullable`);
  }
  const currentNames = new Set(current.fields.map((field) => field.name));
  for (const field of next.fields) {
    if (currentNames.has(field.name)) continue;
    if (!field.nullable) {
      return refused(
        `field ${field.name} (${field.type}) was added as required, and files written before have no value for it (add it with "nullable": true)`,
      );
    }
    changes.push(`nullable field ${field.name} (${field.type}) added`);
  }
  return changes.length === 0 ? { kind: 'unchanged' } : { kind: 'evolved', changes };
}

/** One version of a dataset's schema history. */
export interface SchemaVersion {
  readonly version: number;
  readonly schema: DatasetSchema;
}

const historySchema = z.record(
  z.string(),
  z
    .array(z.strictObject({ version: z.number().int().min(1), schema: datasetSchemaSchema }))
    .min(1)
    .refine((versions) => versions.every((entry, index) => entry.version === index + 1), {
      message: 'versions must be numbered 1, 2, 3, ... in order',
    }),
);

/** The file in the repo that holds the schema history of the datasets defined in it. */
export const SCHEMA_HISTORY_FILE = 'layers/microbatcher/src/schema-history.json';

/**
 * The schema history committed in the repo, per dataset slug (SCHEMA_HISTORY_FILE): what synth
 * checks a descriptor against, since synth cannot read the lake. The handler records the schema
 * in force in the lake itself (recordDatasetSchema), against the same rule.
 */
export const committedSchemaHistory: Readonly<Record<string, readonly SchemaVersion[]>> = parseWith(
  historySchema,
  committedHistoryJson,
  SCHEMA_HISTORY_FILE,
);

/**
 * Checks a descriptor against its dataset's committed history: every version must be an allowed
 * change from the one before, and the descriptor's schema must be the last one, so that a change is
 * reviewed in the repo as a new version before it is deployed. A dataset without a history is only
 * checked against the lake, at handler start. Returns the problem as one line, or undefined.
 */
export function checkSchemaHistory(
  descriptor: DatasetDescriptor,
  history: Readonly<Record<string, readonly SchemaVersion[]>> = committedSchemaHistory,
): string | undefined {
  const versions = history[descriptor.dataset];
  if (versions === undefined) return undefined;
  for (let index = 1; index < versions.length; index++) {
    const change = decideSchemaChange(
      descriptor.dataset,
      versions[index - 1]!.schema,
      versions[index]!.schema,
    );
    if (change.kind === 'refused') return `${SCHEMA_HISTORY_FILE}, version ${index + 1}: ${change.reason}`;
  }
  const last = versions[versions.length - 1]!;
  const change = decideSchemaChange(descriptor.dataset, last.schema, schemaOf(descriptor));
  if (change.kind === 'refused') return change.reason;
  if (change.kind === 'evolved') {
    return `dataset ${descriptor.dataset}: the descriptor's schema is not in ${SCHEMA_HISTORY_FILE} yet (${change.changes.join(', ')}): add it there as version ${last.version + 1}`;
  }
  return undefined;
}
