import {
  checkSchemaHistory,
  type DatasetDescriptor,
  symlinkRoot,
  windowLabel,
} from '@apphub/microbatcher/dataset';
import { columnTypeOf, type ParquetColumnType } from '@apphub/parquet/types';
import { ConfigInvalidError } from '@apphub/platform/settings';
import type { CfnTable } from 'aws-cdk-lib/aws-glue';

/**
 * The Athena (Hive) type of a column type, which reads the Parquet type @apphub/parquet writes for
 * it: one row per type in `columnTypes` (layers/parquet/src/types.ts).
 */
export function athenaTypeOf(type: ParquetColumnType): string {
  return columnTypeOf(type).athena(type);
}

/** The partition column of the window, named like the `window=<label>` path segment. */
export const WINDOW_PARTITION = 'window';

/** `windowLabel` as a Java date format: `20261129T100000Z` (UTC). */
export const WINDOW_LABEL_FORMAT = "yyyyMMdd'T'HHmmss'Z'";

/**
 * Where the micro-batcher writes the symlink manifests of a dataset's published windows
 * (`symlinkManifestKey` in layers/microbatcher/src/layout.ts): the tables' location.
 */
export { symlinkRoot };

/** A dataset's window does not fit the date projection Athena offers. */
export class LakehouseProjectionError extends ConfigInvalidError {}

/** A descriptor's schema is not the last version of its committed history, or changes it in a refused way. */
export class LakehouseSchemaError extends ConfigInvalidError {}

const UNITS: ReadonlyArray<[string, number]> = [
  ['DAYS', 86_400_000],
  ['HOURS', 3_600_000],
  ['MINUTES', 60_000],
  ['SECONDS', 1_000],
];

/** The window length in the largest unit Athena's date projection takes that divides it. */
export function projectionInterval(descriptor: DatasetDescriptor): { interval: number; unit: string } {
  for (const [unit, ms] of UNITS) {
    if (descriptor.windowDuration % ms === 0) return { interval: descriptor.windowDuration / ms, unit };
  }
  throw new LakehouseProjectionError(
    `dataset ${descriptor.dataset}: windowDuration ${descriptor.windowDuration} ms is not a whole number of seconds, which Athena's date projection needs`,
  );
}

/** Glue table name of a dataset: its slug with underscores (Athena names take no dashes). */
export function glueTableName(descriptor: DatasetDescriptor): string {
  return descriptor.dataset.replaceAll('-', '_');
}

/**
 * The Glue table of a dataset's sealed data: columns from the descriptor's schema (partition keys
 * are partition columns), partition projection over the window (the exact label format and the
 * window length, from the first window at or after `projectionStart` up to now) and the descriptor's
 * partition keys (injected: values are not known in advance, so a query names them), read through
 * the symlink manifests under symlinkRoot as Parquet.
 * https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
 * The schema is checked first against the dataset's history committed in the repo
 * (checkSchemaHistory, the rule the handler applies against the lake): synth cannot read the lake,
 * so a refused change fails here, before a deployment. Old files then read through the table by
 * column name, with nulls for added columns and widened values.
 */
export function lakehouseTableInput(
  descriptor: DatasetDescriptor,
  bucketName: string,
  projectionStart: Date,
): CfnTable.TableInputProperty {
  const schemaProblem = checkSchemaHistory(descriptor);
  if (schemaProblem !== undefined) throw new LakehouseSchemaError(schemaProblem);
  const partitionKeys = new Set(descriptor.partitionKeys);
  const clash = descriptor.schema.fields.find((field) => field.name.toLowerCase() === WINDOW_PARTITION);
  if (clash !== undefined || partitionKeys.has(WINDOW_PARTITION)) {
    throw new LakehouseProjectionError(
      `dataset ${descriptor.dataset}: a field named "${WINDOW_PARTITION}" clashes with the table's window partition`,
    );
  }
  const { interval, unit } = projectionInterval(descriptor);
  // Window starts are aligned to the epoch, so the projection starts on the first one at or after projectionStart.
  const firstWindow =
    Math.ceil(projectionStart.getTime() / descriptor.windowDuration) * descriptor.windowDuration;
  const root = `s3://${bucketName}/${symlinkRoot(descriptor)}`;
  const cells = descriptor.partitionKeys.map((key) => `/${key}=\${${key}}`).join('');
  return {
    name: glueTableName(descriptor),
    description: `Sealed windows of dataset ${descriptor.dataset} (micro-batcher), read through symlink manifests`,
    tableType: 'EXTERNAL_TABLE',
    parameters: {
      EXTERNAL: 'TRUE',
      classification: 'parquet',
      'projection.enabled': 'true',
      [`projection.${WINDOW_PARTITION}.type`]: 'date',
      [`projection.${WINDOW_PARTITION}.format`]: WINDOW_LABEL_FORMAT,
      [`projection.${WINDOW_PARTITION}.range`]: `${windowLabel(firstWindow)},NOW`,
      [`projection.${WINDOW_PARTITION}.interval`]: String(interval),
      [`projection.${WINDOW_PARTITION}.interval.unit`]: unit,
      ...Object.fromEntries(descriptor.partitionKeys.map((key) => [`projection.${key}.type`, 'injected'])),
      'storage.location.template': `${root}/${WINDOW_PARTITION}=\${${WINDOW_PARTITION}}${cells}/`,
    },
    partitionKeys: [WINDOW_PARTITION, ...descriptor.partitionKeys].map((name) => ({ name, type: 'string' })),
    storageDescriptor: {
      location: `${root}/`,
      columns: descriptor.schema.fields
        .filter((field) => !partitionKeys.has(field.name))
        .map((field) => ({ name: field.name, type: athenaTypeOf(field.type) })),
      inputFormat: 'org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
    },
  };
}
