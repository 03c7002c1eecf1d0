import type { KafkaClient } from '@apphub/kafka-client';
import { parseDatasetDescriptor, policyOf, sampleBatcherDescriptor } from '@apphub/microbatcher';
import { type LocalEndpoints, parseLocalEndpoints } from '@apphub/platform';
import { Kafka as Kafkajs, logLevel } from 'kafkajs';
import {
  type CommandInput,
  defineCommand,
  integerOption,
  type OptionTable,
  runCli,
} from '../local/src/cli/run-cli.js';
import { CliArgumentInvalidError } from '../local/src/errors.js';
import { withLocalKafka } from '../local/src/stack/index.js';
import { reportAutoscale } from './autoscale.js';
import { benchmarkEncoders } from './encoder.js';
import { type FreshnessResult, measureFreshness } from './freshness.js';
import { median, quantile, runHandlerChild } from './handler.js';
import type { HandlerBreakdown, HandlerRun } from './handler-child.js';
import { ParquetPeer } from './peer.js';
import { costCategories, costCategoryDetails } from './profile.js';
import { reportSampleJob, sampleJobTarget } from './sample-job.js';
import {
  createBenchTopic,
  microBatch,
  rawConsume,
  rawConsumeClients,
  rawConsumeKafkajs,
  seedTopic,
  type ThroughputResult,
} from './throughput.js';

// BENCH_MINUTES, BENCH_BATCH_SIZE and BENCH_ENCODER_ROWS set the defaults too (docs/benchmarks.md).
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
  runs: {
    type: 'string',
    valueName: 'N',
    description: 'runs of each measurement; the table shows their median (at least 5)',
    default: '5',
  },
  'freshness-windows': {
    type: 'string',
    valueName: 'N',
    description: 'windows the live freshness run closes (5 s each)',
    default: '8',
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
  'autoscale-events': {
    type: 'string',
    valueName: 'N',
    description:
      'events in the backlog drained at parallelism 1, at the maximum and autoscaled from 1 (0 skips them)',
    default: '12000000',
  },
  'encoder-rows': {
    type: 'string',
    valueName: 'N',
    description: 'rows each Parquet encoder writes (or BENCH_ENCODER_ROWS)',
    default: process.env.BENCH_ENCODER_ROWS ?? '100000',
  },
  only: {
    type: 'string',
    valueName: 'handler|consume|autoscale',
    description:
      'handler: only the handler rows (1 and 4), needing just the S3 and DynamoDB endpoints (APPHUB_S3_ENDPOINT_URL, ' +
      'APPHUB_AWS_ENDPOINT_URL); consume: only the raw consume rows of both Kafka clients; ' +
      'autoscale: only the autoscaling row',
  },
} as const satisfies OptionTable;

/** The micro-batcher's targets, one per row of the summary (docs/benchmarks.md). */
const targets = {
  handlerMicrosPerRecord: 8,
  endToEndRatio: 0.35,
  freshnessP95Seconds: 10,
  peakRssBytes: 256 * 1_048_576,
  encoderSpeedup: 5,
} as const;

interface SummaryRow {
  readonly measure: string;
  readonly result: string;
  readonly target: string;
  /** Undefined when the row could not be measured. */
  readonly pass: boolean | undefined;
  readonly notes: string;
}

const verdict = (pass: boolean | undefined) => (pass === undefined ? 'NOT RUN' : pass ? 'PASS' : 'BELOW');

function printTable(
  header: readonly string[],
  align: readonly string[],
  rows: readonly (readonly string[])[],
) {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${align.join(' | ')} |`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

/** The handler alone (target 1, with where its time goes) and one invocation's peak RSS (target 4). */
async function benchHandler(runs: number, batchSize: number) {
  const cpu = await runHandlerChild(['cpu', String(batchSize), String(runs)]);
  if (cpu.mode !== 'cpu') throw new Error('the handler bench process answered the wrong mode');
  const rss: number[] = [];
  for (let run = 0; run < runs; run++) {
    const result = await runHandlerChild(['rss', String(batchSize)]);
    if (result.mode === 'rss') rss.push(result.peakRssBytes);
  }
  return { runs: cpu.runs, breakdown: cpu.breakdown, rss };
}

function printHandler(runs: readonly HandlerRun[], breakdown: HandlerBreakdown, batchSize: number) {
  const cpu = median(runs.map((run) => run.cpuMicrosPerRecord));
  console.log(
    `\nMicro-batcher handler alone (functions/micro-batcher createHandler), ${batchSize} records per MSK-shaped event, ` +
      `storage on the local endpoints: CPU µs per record per run ${runs.map((run) => run.cpuMicrosPerRecord.toFixed(1)).join(', ')}; ` +
      `wall ${median(runs.map((run) => run.wallMicrosPerRecord)).toFixed(1)} µs per record, ` +
      `${median(runs.map((run) => run.storageRequests))} storage requests per batch (medians)\n`,
  );
  printTable(
    ['where the time goes', 'share', 'µs per record', 'covers'],
    ['---', '---:', '---:', '---'],
    costCategories.map((category) => [
      category,
      `${(breakdown[category] * 100).toFixed(0)}%`,
      (breakdown[category] * cpu).toFixed(1),
      costCategoryDetails[category],
    ]),
  );
  console.log(
    '\nShares from V8 CPU profiles of 3 more invocations (sampled separately: profiling slows them), applied to the median.',
  );
}

/** The summary rows of the handler alone: CPU per record (target 1) and peak RSS (target 4). */
function handlerRows(
  handler: Awaited<ReturnType<typeof benchHandler>>,
  runs: number,
  batchSize: number,
): [SummaryRow, SummaryRow] {
  const handlerMicros = median(handler.runs.map((run) => run.cpuMicrosPerRecord));
  const rss = median(handler.rss);
  return [
    {
      measure: '1. handler CPU per record',
      result: `${handlerMicros.toFixed(1)} µs`,
      target: `<= ${targets.handlerMicrosPerRecord} µs`,
      pass: handlerMicros <= targets.handlerMicrosPerRecord,
      notes: `batch size ${batchSize}, median of ${runs}`,
    },
    {
      measure: '4. peak RSS, one invocation',
      result: `${(rss / 1_048_576).toFixed(0)} MB`,
      target: `<= ${targets.peakRssBytes / 1_048_576} MB`,
      pass: rss <= targets.peakRssBytes,
      notes: `${batchSize} records, fresh process, median of ${runs}`,
    },
  ];
}

/** One run of the end-to-end rows: the ceiling, the micro-batcher and its peer on the same topic. */
interface ThroughputRun {
  readonly raw: ThroughputResult;
  /** The same read with kafkajs, for comparison. */
  readonly rawKafkajs: ThroughputResult;
  readonly batched: ThroughputResult;
  readonly peer: ThroughputResult;
  /** The peer's job on an empty topic: start, plan, deploy and finish, with no record. */
  readonly peerFixed: ThroughputResult;
}

function printThroughput(runs: readonly ThroughputRun[], total: number) {
  console.log(
    `\nEnd to end on ${total} records, raw consume (both Kafka clients), micro-batcher and Flink's filesystem sink ` +
      'side by side per run (CPU: the Node process for the first three, the peer JVM for the others)\n',
  );
  printTable(
    ['run', 'path', 'seconds', 'records/s', 'CPU s', 'notes'],
    ['---:', '---', '---:', '---:', '---:', '---'],
    runs.flatMap((run, index) =>
      [run.raw, run.rawKafkajs, run.batched, run.peer, run.peerFixed].map((row) => [
        String(index + 1),
        row.name,
        row.seconds.toFixed(2),
        String(Math.round(row.recordsPerSecond)),
        row.cpuSeconds.toFixed(2),
        row.detail,
      ]),
    ),
  );
}

/** The raw consume rows of both clients, run by run, and the summary row comparing them. */
function printRawConsume(
  runs: readonly Pick<ThroughputRun, 'raw' | 'rawKafkajs'>[],
  total: number,
): SummaryRow {
  console.log(
    `\nRaw consume of ${total} records, both Kafka clients side by side per run, on the same topic\n`,
  );
  printTable(
    ['run', 'path', 'seconds', 'records/s', 'CPU s'],
    ['---:', '---', '---:', '---:', '---:'],
    runs.flatMap((run, index) =>
      [run.raw, run.rawKafkajs].map((row) => [
        String(index + 1),
        row.name,
        row.seconds.toFixed(2),
        String(Math.round(row.recordsPerSecond)),
        row.cpuSeconds.toFixed(2),
      ]),
    ),
  );
  const ratio = median(runs.map(({ raw, rawKafkajs }) => raw.recordsPerSecond / rawKafkajs.recordsPerSecond));
  const cpuRatio = median(
    runs.map(
      ({ raw, rawKafkajs }) => raw.records / raw.cpuSeconds / (rawKafkajs.records / rawKafkajs.cpuSeconds),
    ),
  );
  return {
    measure: `raw consume, ${rawConsumeClients.platformatic} / ${rawConsumeClients.kafkajs}`,
    result: `${ratio.toFixed(2)}x`,
    target: 'comparison only',
    pass: true,
    notes: `records/s, median of ${runs.length}; ${cpuRatio.toFixed(2)}x records per CPU second`,
  };
}

/** kafkajs on the plaintext listener, for the comparison row only. */
function comparisonKafkajs(endpoints: LocalEndpoints): Kafkajs {
  return new Kafkajs({
    clientId: 'apphub-bench-kafkajs',
    brokers: [...endpoints.brokers],
    logLevel: logLevel.NOTHING,
  });
}

/** The `fraction` quantile of `values`, or NaN when there are none. */
const quantileOrNaN = (values: readonly number[], fraction: number) =>
  values.length > 0 ? quantile(values, fraction) : Number.NaN;

/**
 * `npm run bench`: the targets of the micro-batcher (handler CPU per record, end to end against the
 * raw consume rate, freshness, peak RSS) measured side by side in one run, median of `--runs`, then
 * the Parquet encoder against parquetjs-lite. Needs the local stack (npm run local:up); `--only handler`
 * measures the handler alone and needs only the S3 and DynamoDB endpoints.
 */
async function main({ values }: CommandInput<typeof options>): Promise<number> {
  // Parsed first, in every mode, so a misspelt APPHUB_* variable stops the bench before it measures.
  const endpoints = parseLocalEndpoints();
  const counts = {
    minutes: integerOption('--minutes', values.minutes, 1),
    batchSize: integerOption('--batch-size', values['batch-size'], 1),
    runs: integerOption('--runs', values.runs, 5),
    freshnessWindows: integerOption('--freshness-windows', values['freshness-windows'], 1),
    encoderRows: integerOption('--encoder-rows', values['encoder-rows'], 1),
    sampleEvents: integerOption('--sample-events', values['sample-events'], 0),
    sampleRuns: integerOption('--sample-runs', values['sample-runs'], 1),
    autoscaleEvents: integerOption('--autoscale-events', values['autoscale-events'], 0),
  };
  if (values.only !== undefined && !['handler', 'consume', 'autoscale'].includes(values.only))
    throw new CliArgumentInvalidError(`--only must be handler, consume or autoscale, got ${values.only}`);
  return withLocalKafka(endpoints, 'apphub-bench', (kafka) => measure(values, endpoints, kafka, counts));
}

/** The bench's measurements, with the one Kafka client of the project it opened. */
async function measure(
  values: CommandInput<typeof options>['values'],
  endpoints: LocalEndpoints,
  kafka: KafkaClient,
  counts: Readonly<
    Record<
      | 'minutes'
      | 'batchSize'
      | 'runs'
      | 'freshnessWindows'
      | 'encoderRows'
      | 'sampleEvents'
      | 'sampleRuns'
      | 'autoscaleEvents',
      number
    >
  >,
): Promise<number> {
  const {
    minutes,
    batchSize,
    runs,
    freshnessWindows,
    encoderRows,
    sampleEvents,
    sampleRuns,
    autoscaleEvents,
  } = counts;
  if (values.only === 'autoscale') return printSummary([await autoscaleRow(kafka, autoscaleEvents)]);
  const kafkajs = comparisonKafkajs(endpoints);
  if (values.only === 'consume') {
    const topic = await createBenchTopic(kafka, 'bench-consume');
    console.log(`seeding ${topic}: ${minutes} minutes x 1000 users of aggregates on 3 partitions...`);
    const total = await seedTopic(kafka, topic, minutes);
    const rawRuns: Pick<ThroughputRun, 'raw' | 'rawKafkajs'>[] = [];
    for (let run = 0; run < runs; run++) {
      console.log(`raw consume run ${run + 1}/${runs}: both clients...`);
      // Alternating which goes first, so neither always reads a topic the other just warmed.
      const raw = run % 2 === 0 ? await rawConsume(kafka, topic, total, run) : undefined;
      const rawKafkajs = await rawConsumeKafkajs(kafkajs, topic, total, run);
      rawRuns.push({ raw: raw ?? (await rawConsume(kafka, topic, total, run)), rawKafkajs });
    }
    return printSummary([printRawConsume(rawRuns, total)]);
  }

  console.log(`handler: ${runs} runs of ${batchSize} records, and ${runs} processes for peak RSS...`);
  const handler = await benchHandler(runs, batchSize);
  if (values.only === 'handler') {
    printHandler(handler.runs, handler.breakdown, batchSize);
    return printSummary(handlerRows(handler, runs, batchSize));
  }

  const topic = await createBenchTopic(kafka, 'bench-mb');
  console.log(`seeding ${topic}: ${minutes} minutes x 1000 users of aggregates on 3 partitions...`);
  const total = await seedTopic(kafka, topic, minutes);
  console.log("peer: starting Flink's filesystem sink in a MiniCluster JVM of its own (bench/peer.ts)...");
  const peer = await ParquetPeer.start(endpoints);
  const runsOf: ThroughputRun[] = [];
  let freshness: FreshnessResult;
  let peerFreshness: number[];
  try {
    // The sample dataset's storage windows and lateness, as the micro-batcher runs below use them.
    const policy = policyOf(parseDatasetDescriptor(sampleBatcherDescriptor));
    const empty = await createBenchTopic(kafka, 'bench-peer-empty');
    console.log('peer: one drain of the topic and one of an empty topic to warm its JVM (not measured)...');
    await peer.drain(topic, total, policy);
    await peer.drain(empty, 0, policy);
    for (let run = 0; run < runs; run++) {
      console.log(
        `end to end run ${run + 1}/${runs}: raw consume, micro-batcher, peer, peer on an empty topic...`,
      );
      const raw = await rawConsume(kafka, topic, total, run);
      const rawKafkajs = await rawConsumeKafkajs(kafkajs, topic, total, run);
      const batched = await microBatch(kafka, endpoints, topic, total, batchSize, run);
      const flink = await peer.drain(topic, total, policy);
      runsOf.push({ raw, rawKafkajs, batched, peer: flink, peerFixed: await peer.drain(empty, 0, policy) });
    }
    console.log(
      `freshness: live run closing ${freshnessWindows} windows with the runner's default settings...`,
    );
    freshness = await measureFreshness(kafka, endpoints, freshnessWindows);
    console.log(
      `peer freshness: the same live ticks read by a running peer job (checkpoint interval ${endpoints.checkpointInterval})...`,
    );
    peerFreshness = await peer.freshness(kafka, freshnessWindows);
  } finally {
    await peer.stop();
  }

  printHandler(handler.runs, handler.breakdown, batchSize);
  printThroughput(runsOf, total);

  const [cpuRow, rssRow] = handlerRows(handler, runs, batchSize);
  const clientsRow = printRawConsume(runsOf, total);
  const ratio = median(runsOf.map(({ raw, batched }) => batched.recordsPerSecond / raw.recordsPerSecond));
  const perCore = median(runsOf.map(({ batched }) => batched.records / batched.cpuSeconds));
  const peerPerCore = median(
    runsOf.map(({ peer: flink, peerFixed }) => flink.records / (flink.cpuSeconds - peerFixed.cpuSeconds)),
  );
  const peerPerCoreWithStart = median(runsOf.map(({ peer: flink }) => flink.records / flink.cpuSeconds));
  const p95 = quantileOrNaN(freshness.seconds, 0.95);
  const peerP95 = quantileOrNaN(peerFreshness, 0.95);
  const summary: SummaryRow[] = [
    cpuRow,
    {
      measure: '2. end to end / raw consume',
      result: ratio.toFixed(2),
      target: `>= ${targets.endToEndRatio}`,
      pass: ratio >= targets.endToEndRatio,
      notes: `median of ${runs}; ${Math.round(perCore)} records per Node CPU second`,
    },
    {
      measure: '3. freshness p50 / p95',
      result: `${quantileOrNaN(freshness.seconds, 0.5).toFixed(1)} s / ${p95.toFixed(1)} s`,
      target: `p95 <= ${targets.freshnessP95Seconds} s`,
      pass: p95 <= targets.freshnessP95Seconds,
      notes: freshness.detail,
    },
    rssRow,
    {
      measure: "5. peer: Flink's filesystem sink, Parquet",
      result:
        `per core ${Math.round(perCore)} vs ${Math.round(peerPerCore)} records/s; ` +
        `freshness p95 ${p95.toFixed(1)} vs ${peerP95.toFixed(1)} s`,
      target: 'beat its freshness, match it per core',
      pass: p95 < peerP95 && perCore >= peerPerCore,
      notes:
        `micro-batcher vs peer, medians of ${runs}; peer per core without its job start ` +
        `(${Math.round(peerPerCoreWithStart)} with it); peer p50 ${quantileOrNaN(peerFreshness, 0.5).toFixed(1)} s, ` +
        `${peerFreshness.length}/${freshnessWindows} windows, checkpoint interval ${endpoints.checkpointInterval}`,
    },
    clientsRow,
  ];

  const [ours, lite] = await benchmarkEncoders(encoderRows);
  const speedup = ours!.rowsPerSecond / lite!.rowsPerSecond;
  console.log(`\nParquet encoding of ${encoderRows} aggregate rows (5 columns; best of 3 after a warm-up)\n`);
  printTable(
    ['encoder', 'ms', 'rows/s', 'file bytes'],
    ['---', '---:', '---:', '---:'],
    [ours!, lite!].map((row) => [
      row.name,
      row.millis.toFixed(0),
      String(Math.round(row.rowsPerSecond)),
      String(row.bytes),
    ]),
  );
  summary.push({
    measure: 'encoder speed-up over parquetjs-lite',
    result: `${speedup.toFixed(1)}x`,
    target: `>= ${targets.encoderSpeedup}x`,
    pass: speedup >= targets.encoderSpeedup,
    notes: `files ${(lite!.bytes / ours!.bytes).toFixed(1)}x smaller`,
  });

  if (sampleEvents > 0) {
    const sampleJob = await reportSampleJob(kafka, endpoints, sampleEvents, sampleRuns);
    summary.push({
      measure: "sample job / Flink's json format, events/s",
      result: sampleJob.ratio.toFixed(2),
      target: `>= ${sampleJobTarget}`,
      pass: sampleJob.ratio >= sampleJobTarget,
      notes: sampleJob.detail,
    });
  }

  if (autoscaleEvents > 0) summary.push(await autoscaleRow(kafka, autoscaleEvents));

  return printSummary(summary);
}

/** The autoscaling row: the same backlog at parallelism 1, at the maximum and autoscaled from 1. */
async function autoscaleRow(kafka: KafkaClient, events: number): Promise<SummaryRow> {
  const autoscaled = await reportAutoscale(kafka, events);
  return {
    measure: 'autoscaling: drain s, autoscaled vs fixed 1 and fixed max',
    result: autoscaled.result,
    target: 'scales up for the backlog, within the rescale limit',
    pass: autoscaled.pass,
    notes: autoscaled.detail,
  };
}

/** Prints the summary table; the exit code: 0 when every row passes. */
function printSummary(summary: readonly SummaryRow[]): number {
  console.log('\nSummary\n');
  printTable(
    ['measure', 'result', 'target', 'verdict', 'notes'],
    ['---', '---:', '---', '---', '---'],
    summary.map((row) => [row.measure, row.result, row.target, verdict(row.pass), row.notes]),
  );
  return summary.every((row) => row.pass === true) ? 0 : 1;
}

/** `npm run bench`, with its flags. */
export const cli = defineCommand({
  program: 'npm run bench --',
  summary: "Measures the micro-batcher's cost, throughput, freshness and memory on the local stack.",
  details: () =>
    'Targets: handler <= 8 µs CPU per record, end to end >= 0.35 of raw consume, freshness p95 <= 10 s, ' +
    'peak RSS <= 256 MB, encoder >= 5x parquetjs-lite, sample job >= 0.8 of the json-format peer; exits 1 below any.',
  options,
  run: main,
});

runCli(cli, import.meta.url);
