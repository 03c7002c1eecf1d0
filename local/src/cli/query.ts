import {
  createBatcherStorage,
  parseBatcherDescriptors,
  queryDataset,
  sampleBatchersJson,
} from '@apphub/microbatcher';
import { columnTypeOf, type ParquetColumnType, type ParquetValue } from '@apphub/parquet';
import { ConfigInvalidError, parseLocalEndpoints, platform } from '@apphub/platform';
import { isSmokeRow, SMOKE_ID_PREFIX } from '@apphub/smoke';
import { type CommandInput, defineCommand, type OptionTable, runCli } from './run-cli.js';

const options = {
  dataset: { type: 'string', valueName: 'SLUG', description: 'the dataset to read; required' },
  from: { type: 'string', valueName: 'TIME', description: 'start of the range (inclusive); required' },
  to: { type: 'string', valueName: 'TIME', description: 'end of the range (exclusive); required' },
  json: { type: 'boolean', description: 'print one JSON object per row instead of a table' },
  'include-smoke': {
    type: 'boolean',
    description: `also show the smoke test's rows (an upsert-key field starting with ${SMOKE_ID_PREFIX}), left out by default`,
  },
} as const satisfies OptionTable;

function parseTime(flag: string, raw: string | undefined): number {
  if (raw === undefined) throw new ConfigInvalidError(`--${flag} is required; see npm run query -- --help`);
  const time = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (Number.isNaN(time))
    throw new ConfigInvalidError(`--${flag} must be ISO-8601 or epoch milliseconds, got ${raw}`);
  return time;
}

/** A value in the table: as its column type's row of `columnTypes` shows it (decimals exactly). */
function show(value: ParquetValue, type: ParquetColumnType): string {
  return value === null ? '' : columnTypeOf(type).text(value);
}

/** A value in --json: exact, so int64 beyond 2^53 and every decimal are strings, timestamps ISO. */
function jsonValue(value: ParquetValue, type: ParquetColumnType): string | number | boolean | null {
  return value === null ? null : columnTypeOf(type).json(value);
}

async function query({ values: flags }: CommandInput<typeof options>): Promise<number> {
  const endpoints = parseLocalEndpoints();
  const descriptors = parseBatcherDescriptors(process.env.TIMESTORE_STREAMING_BATCHERS || sampleBatchersJson);
  const slug = flags.dataset;
  const descriptor = descriptors.find((candidate) => candidate.dataset === slug);
  if (!descriptor) {
    throw new ConfigInvalidError(
      `--dataset ${slug ?? '(missing)'} is not a configured dataset; known: ${descriptors.map((d) => d.dataset).join(', ')}`,
    );
  }
  const from = parseTime('from', flags.from);
  const to = parseTime('to', flags.to);
  const storage = createBatcherStorage({
    bucket: platform.storage.dataLakeBucket,
    table: platform.storage.watermarkTable,
    awsEndpointUrl: endpoints.awsEndpointUrl,
    s3EndpointUrl: endpoints.s3EndpointUrl,
  });
  const read = await queryDataset(storage, descriptor, { from, to });
  const result = flags['include-smoke']
    ? read
    : { ...read, rows: read.rows.filter((row) => !isSmokeRow(row.values, descriptor.upsertKey)) };
  const smokeRows = read.rows.length - result.rows.length;
  const columns = descriptor.schema.fields;
  if (flags.json) {
    for (const row of result.rows) {
      const values = Object.fromEntries(
        columns.map((field) => [field.name, jsonValue(row.values[field.name] ?? null, field.type)]),
      );
      console.log(JSON.stringify({ status: row.status, ...values }));
    }
  } else {
    console.log(['STATUS', ...columns.map((field) => field.name.toUpperCase())].join('\t'));
    for (const row of result.rows) {
      console.log(
        [row.status, ...columns.map((field) => show(row.values[field.name] ?? null, field.type))].join('\t'),
      );
    }
  }
  const sealed = result.rows.filter((row) => row.status === 'sealed').length;
  const watermark = result.watermark === undefined ? 'none yet' : new Date(result.watermark).toISOString();
  const sealedThrough =
    result.sealedThrough === undefined ? 'nothing' : new Date(result.sealedThrough).toISOString();
  console.error(
    `${result.rows.length} rows (${sealed} sealed, ${result.rows.length - sealed} hot); watermark ${watermark}, sealed through ${sealedThrough}` +
      (smokeRows > 0 ? `; ${smokeRows} smoke rows left out (--include-smoke shows them)` : ''),
  );
  return 0;
}

/** `npm run query`: the hybrid read of a micro-batched dataset. */
export const cli = defineCommand({
  program: 'npm run query --',
  summary: 'Reads a micro-batched dataset: sealed windows from their manifests, the others from hot parts.',
  details: () =>
    'Hot parts are deduplicated on the upsert key. TIME is ISO-8601 (2026-11-29T10:00:00Z) or epoch\n' +
    'milliseconds. Datasets come from TIMESTORE_STREAMING_BATCHERS (default: the sample dataset\n' +
    'user-activity-1m).',
  options,
  run: query,
});

runCli(cli, import.meta.url);
