import {
  consumerGroupIdFor,
  type EventSourceSettings,
  eventSourceSettingsShape,
  parseBatcherDescriptors,
  parseEventSourceSettings,
} from '@apphub/microbatcher';
import { createLogger } from '@apphub/observability';
import { ConfigInvalidError, parseLocalEndpoints, parseWith } from '@apphub/platform';
import { microBatcherTimeoutSchema, stackPrefixSchema } from '../../../cdk/lib/config.js';
import {
  type AfterReplay,
  BatcherRunner,
  FailedBatchStore,
  LOCAL_FAILED_BATCH_BUCKET,
  type LocalMapping,
  loadLocalHandler,
  loadLocalMapping,
  parseS3Uri,
  type ReplayedBatch,
  replayFailedBatches,
} from '../batcher/index.js';
import { localAwsClients, pipelineKafka } from '../stack/index.js';
import { type CommandInput, defineCommand, integerOption, type OptionTable, runCli } from './run-cli.js';

/** Seconds between the runner's scheduled sealing passes, unless --seal-interval-s says otherwise. */
const defaultSealIntervalSeconds = 15;

const options = {
  'batch-size': { type: 'string', valueName: 'N', description: 'records per invocation at most' },
  'batch-window-ms': { type: 'string', valueName: 'MS', description: 'how long a batch may gather records' },
  'retry-attempts': {
    type: 'string',
    valueName: 'N',
    description: 'retries of a failed batch (-1: until its records expire)',
  },
  'on-failure': {
    type: 'string',
    valueName: 's3|none',
    description: 'where a batch goes when its retries run out',
  },
  'stack-prefix': {
    type: 'string',
    valueName: 'PREFIX',
    description: 'derive the consumer groups as the deployment of this stack prefix does',
  },
  latest: { type: 'boolean', description: 'start a new group at the latest offsets instead of the earliest' },
  'timeout-s': {
    type: 'string',
    valueName: 'S',
    description: "seconds an invocation may take (default: cdk.json's microBatcherTimeoutSeconds)",
  },
  'seal-interval-s': {
    type: 'string',
    valueName: 'S',
    description: `seconds between scheduled sealing passes, 0 for none (default: ${defaultSealIntervalSeconds})`,
  },
  replay: {
    type: 'string',
    valueName: 's3://BUCKET/KEY',
    description: 'feed failed-batch objects (one, or all under a prefix) back through the handler',
  },
  delete: { type: 'boolean', description: 'with --replay: delete each object replayed' },
  mark: { type: 'boolean', description: 'with --replay: move each object replayed under replayed/' },
} as const satisfies OptionTable;

type BatcherValues = CommandInput<typeof options>['values'];

/** What --help adds after the flags: the settings in effect, from cdk.json. */
const settingsHelp = ({
  settings,
  stackPrefix,
  functionTimeoutSeconds,
}: LocalMapping) => `Consumes the topics of TIMESTORE_STREAMING_BATCHERS (default: the sample dataset user-activity-1m on
apphub.streaming.aggregates) and invokes the micro-batcher function's handler (createHandler in
functions/micro-batcher) with MSK-shaped events, as the Kafka event source mapping deployed by the CDK
does. Its settings are the mapping's: the apphub:*
context of cdk.json, parsed with the CDK's schema and defaults. Now:
  batch size ${settings.batchSize}, batching window ${settings.batchingWindowSeconds} s, starting position ${settings.startingPosition},
  ${settings.retryAttempts} retries (-1: until the records expire; at most 10 with a destination), on failure: ${settings.onFailureDestination},
  invocations of up to ${functionTimeoutSeconds} s (storage outages are ridden out inside them),
  one consumer group per topic: ${stackPrefix}.micro-batcher.<topic>
The flags override them for local experiments only (a deployment never sees them).
A batch whose retries run out is written, in Lambda's format and key layout, to
s3://${LOCAL_FAILED_BATCH_BUCKET}/aws/lambda/... on the local S3 endpoint; then its offsets are
committed and the partition goes on. Otherwise offsets are committed only after the handler succeeds.
Ctrl-C stops after the batch in flight.

--replay feeds the batches of failed-batch objects (one object, or every object under a prefix,
except replayed/) back through the same handler and prints each; it stops at the first failure,
naming the object. Only when asked, a replayed object is deleted (--delete) or moved under
replayed/ (--mark).`;

/** Flags that override a setting, checked with the setting's own schema. */
const settingFlags = {
  'batch-size': 'batchSize',
  'retry-attempts': 'retryAttempts',
  'on-failure': 'onFailureDestination',
} as const satisfies Record<string, keyof typeof eventSourceSettingsShape>;

/** The settings from cdk.json with the flags applied; cross-setting rules are checked on the result. */
function settingsWithFlags(fromCdk: EventSourceSettings, flags: BatcherValues): EventSourceSettings {
  const overrides = Object.fromEntries(
    (
      Object.entries(settingFlags) as [keyof typeof settingFlags, keyof typeof eventSourceSettingsShape][]
    ).flatMap(([flag, name]) =>
      flags[flag] === undefined
        ? []
        : [[name, parseWith(eventSourceSettingsShape[name], flags[flag], `--${flag}`)]],
    ),
  );
  if (flags.latest) overrides.startingPosition = 'LATEST';
  return parseEventSourceSettings({ ...fromCdk, ...overrides }, 'cdk.json settings with the flags');
}

function describeReplayed({ uri, batch, nowAt }: ReplayedBatch): string {
  const partitions = batch.partitions
    .map(
      (part) =>
        `${part.topicPartition} offsets ${part.firstOffset}-${part.lastOffset} (${part.records} records)`,
    )
    .join(', ');
  const after = nowAt === uri ? '' : nowAt === undefined ? '; deleted' : `; moved to ${nowAt}`;
  return `replayed ${uri}: ${partitions}; it had failed with ${batch.condition} after ${batch.invocations} invocations at ${batch.failedAt}${after}`;
}

async function replay(flags: BatcherValues, uri: string): Promise<number> {
  const ignored = [
    'batch-size',
    'batch-window-ms',
    'retry-attempts',
    'on-failure',
    'stack-prefix',
    'latest',
    'seal-interval-s',
    'timeout-s',
  ] as const;
  const misplaced = ignored.filter((name) => flags[name] !== undefined);
  if (misplaced.length > 0) {
    throw new ConfigInvalidError(
      `--${misplaced[0]} has no effect with --replay (a replay invokes the handler directly)`,
    );
  }
  if (flags.delete && flags.mark) throw new ConfigInvalidError('--delete and --mark exclude each other');
  const afterReplay: AfterReplay = flags.delete ? 'delete' : flags.mark ? 'mark' : 'keep';
  const location = parseS3Uri(uri);
  const endpoints = parseLocalEndpoints();
  const local = await loadLocalHandler(endpoints);
  const store = new FailedBatchStore(localAwsClients(endpoints).s3, location.bucket);
  const replayed = await replayFailedBatches({
    store,
    key: location.key,
    invoke: local.invoke,
    afterReplay,
    onReplayed: (item) => console.log(describeReplayed(item)),
  });
  const records = replayed.reduce(
    (sum, item) => sum + item.batch.partitions.reduce((count, part) => count + part.records, 0),
    0,
  );
  console.error(
    `replayed ${replayed.length} failed batches (${records} records) through the micro-batcher's handler`,
  );
  return 0;
}

async function batcher({ values: flags }: CommandInput<typeof options>): Promise<number> {
  if (flags.replay !== undefined) return replay(flags, flags.replay);
  if (flags.delete || flags.mark)
    throw new ConfigInvalidError('--delete and --mark apply only with --replay');
  const mapping = loadLocalMapping();
  const settings = settingsWithFlags(mapping.settings, flags);
  const stackPrefix =
    flags['stack-prefix'] === undefined
      ? mapping.stackPrefix
      : parseWith(stackPrefixSchema, flags['stack-prefix'], '--stack-prefix');
  const batchWindowMs =
    flags['batch-window-ms'] === undefined
      ? settings.batchingWindowSeconds * 1000
      : integerOption('--batch-window-ms', flags['batch-window-ms']);
  const sealIntervalMs =
    (flags['seal-interval-s'] === undefined
      ? defaultSealIntervalSeconds
      : integerOption('--seal-interval-s', flags['seal-interval-s'])) * 1000;

  const endpoints = parseLocalEndpoints();
  // The descriptors are checked before Kafka's TLS files are read: a bad configuration is one line.
  const timeoutSeconds =
    flags['timeout-s'] === undefined
      ? mapping.functionTimeoutSeconds
      : parseWith(microBatcherTimeoutSchema, integerOption('--timeout-s', flags['timeout-s']), '--timeout-s');
  const local = await loadLocalHandler(endpoints, process.env, { timeoutSeconds });
  const descriptors = parseBatcherDescriptors(local.descriptorsJson);
  const kafka = pipelineKafka(endpoints, 'apphub-micro-batcher');
  const mappings = [...new Set(descriptors.map((descriptor) => descriptor.topic))].map((topic) => ({
    topic,
    groupId: consumerGroupIdFor(stackPrefix, topic),
  }));
  const logger = createLogger('micro-batcher-runner');
  console.error(
    local.usesSampleDescriptor
      ? 'TIMESTORE_STREAMING_BATCHERS is unset: using the sample descriptor (dataset user-activity-1m)'
      : `TIMESTORE_STREAMING_BATCHERS: datasets ${descriptors.map((descriptor) => descriptor.dataset).join(', ')}`,
  );
  console.error(
    `consuming ${mappings.map(({ topic, groupId }) => `${topic} as group ${groupId}`).join(', ')} from ${kafka.bootstrapServers} (${kafka.security.protocol}): ` +
      `batch size ${settings.batchSize}, batching window ${batchWindowMs} ms, ${settings.retryAttempts} retries, ` +
      `on failure ${settings.onFailureDestination}, sealing pass every ${sealIntervalMs / 1000} s; Ctrl-C to stop`,
  );

  const runner = new BatcherRunner({
    // Natively the TLS listener with the local CA, as the event source mapping reaches MSK over TLS.
    kafka: kafka.kafka,
    mappings,
    invoke: local.invoke,
    logger,
    settings,
    batchWindowMs,
    sealIntervalMs,
    destination: new FailedBatchStore(localAwsClients(endpoints).s3),
    bootstrapServers: kafka.bootstrapServers,
    onBatch: (batch) => {
      const range = `${batch.topic}-${batch.partition} up to offset ${batch.nextOffset} (${batch.records} records)`;
      const { outcome } = batch;
      if (outcome.kind === 'processed') console.error(`committed ${range}`);
      else if (outcome.kind === 'sent-to-destination')
        console.error(
          `committed ${range} after ${outcome.invocations} failed invocations; the batch is in ${outcome.uri} (npm run batcher -- --replay ${outcome.uri})`,
        );
      else console.error(`committed ${range}: DROPPED, its records expired before it succeeded`);
    },
  });
  try {
    await runner.start();
  } catch (error) {
    await kafka.kafka.close().catch(() => undefined);
    throw error;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.error(`${signal}: stopping after the batch in flight...`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await runner.stop();
  await kafka.kafka.close();
  console.error(
    `stopped: ${runner.processed} records in ${runner.batches} batches processed and committed` +
      (runner.failedBatches > 0
        ? `; ${runner.failedBatches} batches written to the on-failure destination`
        : ''),
  );
  return 0;
}

/** `npm run batcher`: the micro-batcher Lambda fed by a local Kafka event source mapping. */
export const cli = defineCommand({
  program: 'npm run batcher --',
  summary:
    "Runs the micro-batcher's handler on the aggregates topic, as the Kafka event source mapping does.",
  details: () => settingsHelp(loadLocalMapping()),
  options,
  run: batcher,
});

runCli(cli, import.meta.url);
