import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  datasetRoot,
  encodeSealedFile,
  parseDatasetDescriptor,
  sampleBatcherDescriptor,
  sealedFileKey,
  windowLabel,
} from '@apphub/microbatcher';
import { App } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { parquetMetadata } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { parseAppConfig } from '../../cdk/lib/config.js';
import { LakehouseSchemaError, lakehouseTableInput, symlinkRoot } from '../../cdk/lib/lakehouse.js';
import { lakehouseDatabaseName } from '../../cdk/lib/stacks/storage-stack.js';
import { addStreamingStacks } from '../../cdk/lib/streaming-app.js';
import { cdkJsonContext, cfnLint, useSynthesized } from './support/synthesize.js';

const START = new Date('2026-01-01T00:00:00Z');

/** A dataset with every column type, an hourly window and a partition key. */
const clicks = parseDatasetDescriptor({
  dataset: 'clicks-by-region',
  topic: 'clicks',
  schema: {
    fields: [
      { name: 'region', type: 'string' },
      { name: 'user_id', type: 'string' },
      { name: 'clicks', type: 'int32' },
      { name: 'bytes', type: 'int64' },
      { name: 'score', type: 'double', nullable: true },
      { name: 'bot', type: 'boolean' },
      { name: 'at', type: 'timestamp' },
      { name: 'day', type: 'date' },
      { name: 'price', type: 'decimal(12, 2)' },
      { name: 'total', type: 'decimal(38, 9)', nullable: true },
    ],
  },
  timestampField: 'at',
  partitionKeys: ['region'],
  windowDuration: '1 h',
  upsertKey: ['region', 'user_id', 'at'],
});

/**
 * The Athena type for each Parquet physical/logical type, from
 * https://docs.aws.amazon.com/athena/latest/ug/data-types.html and the Parquet logical types
 * (https://github.com/apache/parquet-format/blob/master/LogicalTypes.md): DECIMAL(p,s) in any of its
 * physical types (INT32, INT64, FIXED_LEN_BYTE_ARRAY) is Athena's decimal(p,s), DATE is date.
 */
function athenaTypeOfParquet(parquet: string): string | undefined {
  const decimal = /\/DECIMAL\((\d+),(\d+)\)$/.exec(parquet);
  if (decimal) return `decimal(${decimal[1]},${decimal[2]})`;
  return {
    'BYTE_ARRAY/STRING': 'string',
    INT32: 'int',
    INT64: 'bigint',
    DOUBLE: 'double',
    BOOLEAN: 'boolean',
    'INT32/DATE': 'date',
    'INT64/TIMESTAMP(MILLIS,UTC)': 'timestamp',
  }[parquet];
}

/** The Parquet type of each column of a sealed file the micro-batcher writes for `descriptor`. */
function sealedFileTypes(descriptor: typeof clicks): Record<string, string> {
  const row = {
    region: 'eu',
    user_id: 'u',
    clicks: 1,
    bytes: 2n,
    score: 0.5,
    bot: false,
    at: Date.UTC(2026, 10, 29, 10),
    day: '2026-11-29',
    price: '1234567890.12',
    total: '12345678901234567890.123456789',
  };
  const bytes = encodeSealedFile(descriptor, [row]);
  const { schema } = parquetMetadata(bytes);
  return Object.fromEntries(
    schema.slice(1).map((element) => {
      const logical = element.logical_type as
        | { type: string; unit?: string; isAdjustedToUTC?: boolean; precision?: number; scale?: number }
        | undefined;
      const suffix =
        logical?.type === 'TIMESTAMP'
          ? `/TIMESTAMP(${logical.unit},${logical.isAdjustedToUTC ? 'UTC' : 'local'})`
          : logical?.type === 'DECIMAL'
            ? `/DECIMAL(${logical.precision},${logical.scale})`
            : logical
              ? `/${logical.type}`
              : '';
      return [element.name, `${element.type}${suffix}`];
    }),
  );
}

describe('the Glue table of a dataset', () => {
  it('has the schema columns, with the Athena type of the Parquet type the sealed files hold', () => {
    const table = lakehouseTableInput(clicks, 'lake-bucket', START);
    const parquet = sealedFileTypes(clicks);
    const columns = (table.storageDescriptor as { columns: Array<{ name: string; type: string }> }).columns;

    expect(columns.map((column) => column.name)).toEqual([
      'user_id',
      'clicks',
      'bytes',
      'score',
      'bot',
      'at',
      'day',
      'price',
      'total',
    ]);
    for (const column of columns) {
      expect(column.type, column.name).toBe(athenaTypeOfParquet(parquet[column.name]!));
    }
    expect(columns.slice(-3).map((column) => column.type)).toEqual([
      'date',
      'decimal(12,2)',
      'decimal(38,9)',
    ]);
  });

  // Athena partition projection: https://docs.aws.amazon.com/athena/latest/ug/partition-projection-supported-types.html
  // (date: format, range, interval, interval.unit; injected: value given by the query) and
  // https://docs.aws.amazon.com/athena/latest/ug/partition-projection-setting-up.html (storage.location.template).
  it('projects the window with the label format and interval of the dataset, and the partition key as injected', () => {
    const table = lakehouseTableInput(clicks, 'lake-bucket', START);
    const parameters = table.parameters as Record<string, string>;
    const windowStart = Date.UTC(2026, 10, 29, 10);
    const sealed = sealedFileKey(clicks, windowStart, 'region=eu', '0123456789abcdef');
    const slot = (name: string) => `\${${name}}`;
    const location = parameters['storage.location.template']!.replace(
      slot('window'),
      windowLabel(windowStart),
    ).replace(slot('region'), 'eu');

    expect(table.partitionKeys).toEqual([
      { name: 'window', type: 'string' },
      { name: 'region', type: 'string' },
    ]);
    expect(parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.window.type': 'date',
      'projection.window.format': "yyyyMMdd'T'HHmmss'Z'",
      'projection.window.range': '20260101T000000Z,NOW',
      'projection.window.interval': '1',
      'projection.window.interval.unit': 'HOURS',
      'projection.region.type': 'injected',
    });
    // The projected location of a window cell mirrors the sealed layout's window and cell segments.
    expect(location).toBe(`s3://lake-bucket/${symlinkRoot(clicks)}/window=20261129T100000Z/region=eu/`);
    expect(sealed).toBe(
      `${datasetRoot(clicks)}/sealed/window=20261129T100000Z/region=eu/data-0123456789abcdef.parquet`,
    );
  });

  it('reads Parquet through symlink manifests, never the sealed folder where superseded files stay', () => {
    const table = lakehouseTableInput(clicks, 'lake-bucket', START);
    const storage = table.storageDescriptor as {
      location: string;
      inputFormat: string;
      serdeInfo: { serializationLibrary: string };
    };

    expect(storage.inputFormat).toBe('org.apache.hadoop.hive.ql.io.SymlinkTextInputFormat');
    expect(storage.serdeInfo.serializationLibrary).toBe(
      'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    );
    expect(storage.location).toBe(`s3://lake-bucket/${symlinkRoot(clicks)}/`);
    expect(JSON.stringify(table)).not.toContain('/sealed/');
  });

  it('starts the projection on a window boundary and takes the largest unit that divides the window', () => {
    const elevenMinutes = parseDatasetDescriptor({
      ...sampleBatcherDescriptor,
      dataset: 'other-windows',
      windowDuration: '11 min',
    });
    const ninetySeconds = parseDatasetDescriptor({
      ...sampleBatcherDescriptor,
      dataset: 'other-windows',
      windowDuration: '90 s',
    });
    const parametersOf = (descriptor: typeof clicks) =>
      lakehouseTableInput(descriptor, 'b', START).parameters as Record<string, string>;

    // 2026-01-01T00:00:00Z is not a multiple of 11 minutes since the epoch; the next window starts at 00:05.
    expect(parametersOf(elevenMinutes)['projection.window.range']).toBe('20260101T000500Z,NOW');
    expect(parametersOf(elevenMinutes)['projection.window.interval']).toBe('11');
    expect(parametersOf(ninetySeconds)['projection.window.interval.unit']).toBe('SECONDS');
    expect(parametersOf(ninetySeconds)['projection.window.interval']).toBe('90');
    expect(() =>
      lakehouseTableInput(
        parseDatasetDescriptor({
          ...sampleBatcherDescriptor,
          dataset: 'other-windows',
          windowDuration: '1500 ms',
        }),
        'b',
        START,
      ),
    ).toThrow(/windowDuration 1500 ms is not a whole number of seconds/);
  });
});

describe('the lakehouse of the default deployment', () => {
  const synthesized = useSynthesized();

  it('registers one table per dataset in a database named after the deployment', () => {
    const template = synthesized().template(synthesized().stacks.storage);
    const sample = parseDatasetDescriptor(sampleBatcherDescriptor);

    template.hasResourceProperties('AWS::Glue::Database', {
      DatabaseInput: { Name: lakehouseDatabaseName('AppHubStreaming') },
    });
    template.resourceCountIs('AWS::Glue::Table', 1);
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: { Ref: Match.stringLikeRegexp('^Lakehouse') },
      TableInput: {
        Name: 'user_activity_1m',
        PartitionKeys: [{ Name: 'window', Type: 'string' }],
        // The sample's exact sums: Flink's DECIMAL(38, 9), in the sealed files and the table alike.
        StorageDescriptor: {
          Columns: [
            { Name: 'user_id', Type: 'string' },
            { Name: 'window_start', Type: 'timestamp' },
            { Name: 'window_end', Type: 'timestamp' },
            { Name: 'event_count', Type: 'bigint' },
            { Name: 'total_value', Type: 'decimal(38,9)' },
          ],
        },
        Parameters: {
          'projection.window.interval': '10',
          'projection.window.interval.unit': 'MINUTES',
          'storage.location.template': {
            'Fn::Join': ['', ['s3://', Match.anyValue(), `/${symlinkRoot(sample)}/window=\${window}/`]],
          },
        },
      },
    });
  });
});

describe('a deployment that attaches all its storage', () => {
  const synthesized = useSynthesized({
    'apphub:existingCheckpointBucket': 'retained-checkpoints',
    'apphub:existingDataLakeBucket': 'retained-lake',
    'apphub:existingTables': '{"watermarks":"w-table","jobs":"j-table","savepoints":"s-table"}',
  });

  it('still has a valid storage template: the lakehouse over the attached lake', () => {
    const template = synthesized().template(synthesized().stacks.storage);

    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: { StorageDescriptor: { Location: Match.stringLikeRegexp('^s3://retained-lake/') } },
    });
    expect(cfnLint(synthesized().assembly).errors).toEqual([]);
  });
});

describe('a deployment whose descriptor changes a committed dataset schema', () => {
  it('fails at synth in one line naming the field and both types, before anything is deployed', () => {
    // Prepare: the sample dataset with total_value back as a double, against its committed history.
    const outdir = mkdtempSync(path.join(tmpdir(), 'apphub-cdk-refused-'));
    const fields = sampleBatcherDescriptor.schema.fields.map((field) =>
      field.name === 'total_value' ? { ...field, type: 'double' } : field,
    );
    const app = new App({
      outdir,
      context: {
        ...cdkJsonContext(),
        'apphub:batchers': JSON.stringify([{ ...sampleBatcherDescriptor, schema: { fields } }]),
      },
    });
    const config = parseAppConfig(app.node.getAllContext(), { APPHUB_STREAMING_ENABLED: '1' });

    // Act and assess
    try {
      expect(() => addStreamingStacks(app, config)).toThrow(
        new LakehouseSchemaError(
          'dataset user-activity-1m: field total_value changed from decimal(38,9) to double, which files written as decimal(38,9) cannot be read as; keep the old schema, or write to a new dataset name or backfill (docs/microbatcher.md#schema-evolution)',
        ),
      );
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
