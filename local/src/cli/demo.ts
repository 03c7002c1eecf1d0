import { FlinkRestClient } from '@apphub/flink';
import type { KafkaClient } from '@apphub/kafka-client';
import { queryDataset, sampleBatcherDescriptor } from '@apphub/microbatcher';
import { type LocalEndpoints, parseLocalEndpoints, platform } from '@apphub/platform';
import { generateSampleEvents, normaliseAggregate, type SampleAggregate } from '@apphub/sample';
import { isSmokeId } from '@apphub/smoke';
import { followTopic } from '../sample/consume.js';
import { microBatchAggregates } from '../sample/micro-batch.js';
import { produceEvents } from '../sample/produce.js';
import { jobTasksRunning, submitSampleJob } from '../sample/submit.js';
import {
  createProgress,
  type Progress,
  StackStreamingDisabledError,
  stackUp,
  streamingRequiredMessage,
  waitUntil,
  withLocalKafka,
} from '../stack/index.js';
import { type CommandInput, defineCommand, integerOption, type OptionTable, runCli } from './run-cli.js';

const options = {
  users: { type: 'string', valueName: 'N', description: 'distinct users in the events', default: '20' },
  events: { type: 'string', valueName: 'N', description: 'events to seed', default: '1200' },
  minutes: {
    type: 'string',
    valueName: 'N',
    description: 'minutes of event time, ending now (every minute but the newest closes)',
    default: '5',
  },
} as const satisfies OptionTable;

/**
 * The project's main job on one machine: start the stack, make sure the sample job runs, seed a
 * few minutes of events, wait for Flink to close their windows, print the aggregates.
 */
async function demo({ values }: CommandInput<typeof options>): Promise<number> {
  const progress = createProgress();
  const endpoints = parseLocalEndpoints();
  if (!endpoints.streamingEnabled) {
    throw new StackStreamingDisabledError(streamingRequiredMessage('npm run demo'));
  }
  return withLocalKafka(endpoints, 'apphub-demo', (kafka) => demoWith(values, endpoints, kafka, progress));
}

/** The demo's five steps, with the one Kafka client it opened. */
async function demoWith(
  values: CommandInput<typeof options>['values'],
  endpoints: LocalEndpoints,
  kafka: KafkaClient,
  progress: Progress,
): Promise<number> {
  const flink = new FlinkRestClient({ baseUrl: endpoints.flinkRestUrl });

  progress.step('1/5 local stack');
  await stackUp({ progress });

  progress.step(`2/5 sample job ${platform.sampleJob.name}`);
  const running = (await flink.jobs()).find(
    (job) => job.name === platform.sampleJob.name && job.state === 'RUNNING',
  );
  const jobId = running?.id ?? (await submitSampleJob({ startupMode: 'latest-offset' })).jobId;
  progress.detail(
    running
      ? `already running as ${jobId}; it keeps the SQL it was started with (after editing ${platform.sampleJob.sqlTemplate}: npm run flink -- stop ${platform.sampleJob.name}, then run the demo again)`
      : `submitted as ${jobId}`,
  );
  await waitUntil("the job's tasks to run", () => jobTasksRunning(endpoints.flinkRestUrl, jobId), {
    timeoutMs: 60_000,
    progress,
  });

  const minutes = integerOption('--minutes', values.minutes, 1);
  const start = new Date(Date.now() - minutes * 60_000);
  start.setUTCSeconds(0, 0);
  const events = generateSampleEvents({
    count: integerOption('--events', values.events, 1),
    users: integerOption('--users', values.users, 1),
    start,
    spanMs: minutes * 60_000,
    seed: start.getTime() % 100_000,
    maxOutOfOrderMs: 3_000,
  });
  progress.step(
    `3/5 seeding ${events.length} events over ${minutes} minutes of event time from ${start.toISOString()}`,
  );
  await produceEvents(kafka, platform.topics.input.name, events, {
    pauseBetweenMinutesMs: 1_000,
    onProgress: (sent) => {
      if (sent % 600 === 0 || sent === events.length) progress.detail(`${sent}/${events.length} sent`);
    },
  });

  // Windows close once the watermark (max event time - delay) passes their end; the newest minute stays hot.
  const firstWindow = start.toISOString();
  const closedWindows = minutes - 1;
  progress.step(
    `4/5 waiting for Flink to close ${closedWindows} windows (watermark delay ${platform.sampleJob.watermarkDelaySeconds}s)`,
  );
  const latest = new Map<string, SampleAggregate>();
  const stopFollowing = await followTopic(kafka, platform.topics.aggregates.name, (record) => {
    if (record.value === null || record.key === null) return;
    const value = JSON.parse(record.value);
    if (typeof value.window_start !== 'string' || value.window_start < firstWindow) return;
    // A smoke run's aggregates share the topic; they are not the demo's.
    if (isSmokeId(value.user_id)) return;
    latest.set(record.key, normaliseAggregate(value));
  });
  const windowsSeen = () => new Set([...latest.values()].map((row) => row.window_start)).size;
  let reported = -1;
  const done = await waitUntil(
    'closed windows on the aggregates topic',
    async () => {
      if (latest.size !== reported)
        progress.detail(`${latest.size} aggregates in ${windowsSeen()} windows so far`);
      reported = latest.size;
      return windowsSeen() >= closedWindows;
    },
    { timeoutMs: 180_000, intervalMs: 1_000, progress },
  ).finally(stopFollowing);
  const rows = [...latest.values()].sort(
    (a, b) => a.window_start.localeCompare(b.window_start) || a.user_id.localeCompare(b.user_id),
  );
  if (!done)
    throw new Error(
      'Flink closed no windows within 3 minutes; check npm run local:status and the jobmanager log',
    );

  console.log(`\nAggregates from Flink (${rows.length} rows, first 15):`);
  console.log(['WINDOW START', 'USER', 'EVENTS', 'TOTAL VALUE'].join('\t'));
  for (const row of rows.slice(0, 15))
    console.log([row.window_start, row.user_id, row.event_count, row.total_value].join('\t'));
  progress.step(
    `5/5 micro-batching ${platform.topics.aggregates.name} into Parquet (npm run batcher, log in .local/logs)`,
  );
  const lake = await microBatchAggregates(endpoints, kafka, progress);
  const result = await queryDataset(lake.storage, lake.descriptor, {
    from: start.getTime(),
    to: Date.now() + 60_000,
  });
  const sealed = result.rows.filter((row) => row.status === 'sealed').length;
  console.log(
    `\nMicro-batched dataset ${lake.descriptor.dataset}: ${result.rows.length} rows in this run's range, ${sealed} sealed, ${result.rows.length - sealed} hot;` +
      ` watermark ${result.watermark === undefined ? 'none yet' : new Date(result.watermark).toISOString()},` +
      ` sealed through ${result.sealedThrough === undefined ? 'nothing yet' : new Date(result.sealedThrough).toISOString()}`,
  );
  console.log(`
Where to look next:
  Flink web UI        ${endpoints.flinkRestUrl}  (job ${jobId})
  aggregates topic    npm run consume -- --topic ${platform.topics.aggregates.name} -n 5
  input topic         npm run consume -- --topic ${platform.topics.input.name} -n 5
  Parquet + manifests s3://${platform.storage.dataLakeBucket}/ on ${endpoints.s3EndpointUrl} (MinIO; console http://127.0.0.1:${platform.ports.minioConsole})
  hybrid read         npm run query -- --dataset ${sampleBatcherDescriptor.dataset} --from ${start.toISOString()} --to ${new Date(Date.now() + 60_000).toISOString()}
  watermarks          DynamoDB table ${platform.storage.watermarkTable}; npm run flink -- status
  stack status        npm run local:status
  stop everything     npm run local:down`);
  return 0;
}

/** `npm run demo`: the sample pipeline end to end on the native stack. */
export const cli = defineCommand({
  program: 'npm run demo --',
  summary: 'Starts the stack, runs the sample job on a few minutes of seeded events, prints the aggregates.',
  details: () =>
    'Then micro-batches the aggregates into Parquet and prints a hybrid read of them, and where to look next.',
  options,
  run: demo,
});

runCli(cli, import.meta.url);
