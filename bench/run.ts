import { randomUUID } from 'node:crypto';
import { parseLocalEndpoints } from '@apphub/platform';
import {
  type CommandInput,
  defineCommand,
  integerOption,
  type OptionTable,
  runCli,
} from '../local/src/cli/run-cli.js';
import { localKafka } from '../local/src/stack/index.js';
import { benchmarkEncoders } from './encoder.js';
import { reportSampleJob } from './sample-job.js';
import { microBatch, rawConsume, seedTopic } from './throughput.js';

// The BENCH_* variables of earlier runs still set the defaults.
const options = {
  minutes: {
    type: 'string',
    valueName: 'N',
    description: 'minutes x 1000 users of aggregates to seed (or BENCH_MINUTES)',
    default: process.env.BENCH_MINUTES ?? '60',
  },
  'batch-size': {
    type: 'string',
    valueName: 'N',
    description: 'records per micro-batcher invocation (or BENCH_BATCH_SIZE)',
    default: process.env.BENCH_BATCH_SIZE ?? '10000',
  },
  'sample-events': {
    type: 'string',
    valueName: 'N',
    description: 'events in the backlog the sample job and its json-format peer drain (0 skips them)',
    default: '1000000',
  },
  'sample-runs': {
    type: 'string',
    valueName: 'N',
    description: 'drains of that backlog per job, alternating (the table shows medians)',
    default: '3',
  },
  'encoder-rows': {
    type: 'string',
    valueName: 'N',
    description: 'rows each Parquet encoder writes (or BENCH_ENCODER_ROWS)',
    default: process.env.BENCH_ENCODER_ROWS ?? '100000',
  },
} as const satisfies OptionTable;

/**
 * `npm run bench`: on one freshly seeded topic, the micro-batcher's end-to-end throughput against
 * the raw consume rate of the same client (target ratio >= 0.5), then the Parquet encoder against
 * parquetjs-lite on the same rows (target >= 5x). Needs the local stack (npm run local:up).
 */
async function main({ values }: CommandInput<typeof options>): Promise<number> {
  const minutes = integerOption('--minutes', values.minutes, 1);
  const batchSize = integerOption('--batch-size', values['batch-size'], 1);
  const encoderRows = integerOption('--encoder-rows', values['encoder-rows'], 1);
  const sampleEvents = integerOption('--sample-events', values['sample-events'], 0);
  const sampleRuns = integerOption('--sample-runs', values['sample-runs'], 1);
  const endpoints = parseLocalEndpoints();
  const kafka = localKafka(endpoints, 'apphub-bench');
  const topic = `bench-mb-${randomUUID().slice(0, 8)}`;

  console.log(`seeding ${topic}: ${minutes} minutes x 1000 users of aggregates on 3 partitions...`);
  const total = await seedTopic(kafka, topic, minutes);
  const raw = await rawConsume(kafka, topic, total);
  const batched = await microBatch(kafka, endpoints, topic, total, batchSize);
  const ratio = batched.recordsPerSecond / raw.recordsPerSecond;

  console.log(`\nThroughput on ${total} records (${topic}, same kafkajs client, measured in this run)\n`);
  console.log('| path | records | seconds | records/s | Node CPU s | notes |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  for (const row of [raw, batched]) {
    console.log(
      `| ${row.name} | ${row.records} | ${row.seconds.toFixed(2)} | ${Math.round(row.recordsPerSecond)} | ${row.cpuSeconds.toFixed(2)} | ${row.detail} |`,
    );
  }
  console.log(
    `\nratio micro-batcher / raw consume: ${ratio.toFixed(2)} (target >= 0.5) ${ratio >= 0.5 ? 'PASS' : 'BELOW TARGET'}`,
  );

  const [ours, lite] = await benchmarkEncoders(encoderRows);
  const speedup = ours!.rowsPerSecond / lite!.rowsPerSecond;
  console.log(`\nParquet encoding of ${encoderRows} aggregate rows (5 columns; best of 3 after a warm-up)\n`);
  console.log('| encoder | ms | rows/s | file bytes |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const row of [ours!, lite!]) {
    console.log(
      `| ${row.name} | ${row.millis.toFixed(0)} | ${Math.round(row.rowsPerSecond)} | ${row.bytes} |`,
    );
  }
  console.log(
    `\nspeed-up over parquetjs-lite: ${speedup.toFixed(1)}x (target >= 5x) ${speedup >= 5 ? 'PASS' : 'BELOW TARGET'}; ` +
      `size ratio ${(lite!.bytes / ours!.bytes).toFixed(1)}x smaller`,
  );
  const sampleJobMet =
    sampleEvents === 0 || (await reportSampleJob(kafka, endpoints, sampleEvents, sampleRuns));
  return ratio < 0.5 || speedup < 5 || !sampleJobMet ? 1 : 0;
}

/** `npm run bench`, with its flags. */
export const cli = defineCommand({
  program: 'npm run bench --',
  summary: "Measures the micro-batcher's throughput and the Parquet encoder's speed on the local stack.",
  details: () =>
    'Targets: micro-batcher / raw consume >= 0.5, encoder >= 5x parquetjs-lite; exits 1 below either.',
  options,
  run: main,
});

runCli(cli, import.meta.url);
