import { z } from '@apphub/platform/settings';
import type { WatermarkStore } from '@apphub/watermarks';
import type { DatasetDescriptor } from './descriptor.js';
import { LakeObjectError, SchemaChangeRefusedError } from './errors.js';
import type { Lake } from './lake.js';
import { schemaRecordKey } from './layout.js';
import { FORMAT_VERSION, versionedObject, windowManifestSchema } from './manifest.js';
import {
  type DatasetSchema,
  datasetSchemaSchema,
  decideSchemaChange,
  type SchemaChange,
  schemaOf,
} from './schema-evolution.js';

/**
 * The dataset's schema record (schemaRecordKey): the schema in force, last, and every version
 * before it, each with when and from what it was recorded.
 */
export const schemaRecordSchema = versionedObject(
  'a dataset schema record',
  FORMAT_VERSION,
  z.strictObject({
    formatVersion: z.literal(FORMAT_VERSION).optional(),
    dataset: z.string().min(1),
    versions: z
      .array(
        z.strictObject({
          version: z.number().int().min(1),
          recordedAt: z.iso.datetime({ offset: false }),
          /** `descriptor`, or `manifest <key>` for a schema taken from sealed data that had no record. */
          source: z.string().min(1),
          schema: datasetSchemaSchema,
        }),
      )
      .min(1),
  }),
);

export type SchemaRecord = z.output<typeof schemaRecordSchema>;

/** What recordDatasetSchema found and did. */
export interface SchemaRecordOutcome {
  /** The version in force now (the descriptor's). */
  readonly version: number;
  /** The change from the version in force before; `unchanged` when the descriptor's was already recorded. */
  readonly change: Exclude<SchemaChange, { kind: 'refused' }>;
}

/**
 * Makes the descriptor's schema the one the lake records for its dataset, or refuses: the change
 * from the recorded schema must be allowed (decideSchemaChange), else SchemaChangeRefusedError says
 * in one line which field changed how. A new version is appended with a compare-and-set on the
 * record (If-Match on the ETag read, If-None-Match for the first), so concurrent writers of the same
 * or different versions never lose one; a refused write reads again and decides again. A dataset
 * with sealed data but no record starts from its newest manifest's columns, so such a dataset
 * cannot change its schema unchecked either.
 */
export async function recordDatasetSchema(
  context: { readonly lake: Lake; readonly store: WatermarkStore },
  descriptor: DatasetDescriptor,
  now: number,
): Promise<SchemaRecordOutcome> {
  const { lake } = context;
  const key = schemaRecordKey(descriptor);
  const next = schemaOf(descriptor);
  for (let attempt = 0; attempt < 10; attempt++) {
    const head = await lake.head(key);
    const record: SchemaRecord =
      head === undefined
        ? {
            formatVersion: FORMAT_VERSION,
            dataset: descriptor.dataset,
            versions: await existingVersions(context, descriptor, now),
          }
        : await lake.getJson(key, schemaRecordSchema);
    const current = record.versions[record.versions.length - 1];
    const change: SchemaChange =
      current === undefined
        ? { kind: 'evolved', changes: ['first version recorded'] }
        : decideSchemaChange(descriptor.dataset, current.schema, next);
    if (change.kind === 'refused') {
      throw new SchemaChangeRefusedError(`${change.reason} (recorded in s3://${lake.bucket}/${key})`);
    }
    const versions =
      change.kind === 'unchanged'
        ? record.versions
        : [
            ...record.versions,
            {
              version: (current?.version ?? 0) + 1,
              recordedAt: new Date(now).toISOString(),
              source: 'descriptor',
              schema: stored(next),
            },
          ];
    if (head !== undefined && change.kind === 'unchanged') return { version: current!.version, change };
    const body = `${JSON.stringify({ ...record, versions }, null, 2)}\n`;
    const written = await lake.putIf(
      head === undefined ? { ifNoneMatch: '*' } : { ifMatch: head.etag },
      key,
      body,
      'application/json',
      {},
    );
    if (written) return { version: versions[versions.length - 1]!.version, change };
  }
  throw new LakeObjectError(
    `schema record s3://${lake.bucket}/${key} kept changing under concurrent writers`,
  );
}

/** A schema as the record stores it. */
function stored(schema: DatasetSchema): SchemaRecord['versions'][number]['schema'] {
  return {
    ...schema,
    fields: [...schema.fields],
    upsertKey: [...schema.upsertKey],
    partitionKeys: [...schema.partitionKeys],
  };
}

/** The latest window start a listing of every window covers (window items sort by ISO time). */
const lastWindowStart = Date.UTC(9999, 11, 31);

/**
 * The version in force for a dataset with sealed data but no schema record: its newest published
 * manifest's columns (the sealed files' schema), or none when it has no sealed window.
 */
async function existingVersions(
  context: { readonly lake: Lake; readonly store: WatermarkStore },
  descriptor: DatasetDescriptor,
  now: number,
): Promise<SchemaRecord['versions']> {
  const windows = await context.store.windows.list(descriptor.dataset, 0, lastWindowStart);
  const newest = windows.filter((window) => window.manifestKey !== undefined).at(-1);
  if (newest === undefined) return [];
  const manifest = await context.lake.getJson(newest.manifestKey!, windowManifestSchema);
  // A manifest names the columns and the window; the keys are the descriptor's (they were not recorded).
  const schema: DatasetSchema = {
    ...schemaOf(descriptor),
    fields: manifest.columns,
    windowDuration: Date.parse(manifest.windowEnd) - Date.parse(manifest.windowStart),
  };
  return [
    {
      version: 1,
      recordedAt: new Date(now).toISOString(),
      source: `manifest ${newest.manifestKey}`,
      schema: stored(schema),
    },
  ];
}

/**
 * The datasets whose schema this function has recorded, so each is checked against the lake once
 * per cold start rather than per batch. A check that fails is not remembered: the next batch checks
 * again (the record or the descriptor may have been fixed meanwhile).
 */
export class RecordedSchemas {
  private readonly checked = new Map<string, Promise<SchemaRecordOutcome>>();

  ensure(
    context: { readonly lake: Lake; readonly store: WatermarkStore },
    descriptor: DatasetDescriptor,
    now: number,
  ): Promise<SchemaRecordOutcome> {
    let outcome = this.checked.get(descriptor.dataset);
    if (outcome === undefined) {
      outcome = recordDatasetSchema(context, descriptor, now);
      this.checked.set(descriptor.dataset, outcome);
      outcome.catch(() => this.checked.delete(descriptor.dataset));
    }
    return outcome;
  }
}
