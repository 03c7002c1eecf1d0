import {
  type EventSourceSettings,
  eventSourceSettingsShape,
  parseBatcherDescriptors,
  parseEventSourceSettings,
} from '@apphub/microbatcher';
import { createLogger } from '@apphub/observability';
import { ConfigInvalidError, parseLocalEndpoints, parseWith } from '@apphub/platform';
import {
  type AfterReplay,
  BatcherRunner,
  FailedBatchStore,
  LOCAL_FAILED_BATCH_BUCKET,
  loadEventSourceSettings,
  loadLocalHandler,
  parseS3Uri,
  type ReplayedBatch,
  replayFailedBatches,
} from '../batcher/index.js';
import { localAwsClients, pipelineKafka } from '../stack/index.js';
import { parseFlags, runCli } from './run-cli.js';

const usage = (
  settings: EventSourceSettings,
) => `npm run batcher -- [--batch-size N] [--batch-window-ms MS] [--retry-attempts N] [--on-failure s3|none]
                      [--group ID] [--latest] [--seal-interval-s S]
npm run batcher -- --replay s3://<bucket>/<object or prefix> [--delete | --mark]

  Consumes the topics of TIMESTORE_STREAMING_BATCHERS (default: the sample dataset user-activity-1m on
  apphub.streaming.aggregates) and invokes functions/micro-batcher/handler.ts with MSK-shaped events, as
  the Kafka event source mapping deployed by the CDK does. Its settings are the mapping's: the apphub:*
  context of cdk.json, parsed with the CDK's schema and defaults. Now:
    batch size ${settings.batchSize}, batching window ${settings.batchingWindowSeconds} s, starting position ${settings.startingPosition},
    ${settings.retryAttempts} retries (-1: until the records expire; at most 10 with a destination), on failure: ${settings.onFailureDestination},
    consumer group ${settings.consumerGroupId}
  The flags override them for local experiments only (a deployment never sees them).
  A batch whose retries run out is written, in Lambda's format and key layout, to
  s3://${LOCAL_FAILED_BATCH_BUCKET}/aws/lambda/... on the local S3 endpoint; then its offsets are
  committed and the partition goes on. Otherwise offsets are committed only after the handler succeeds.
  Ctrl-C stops after the batch in flight.

  --replay feeds the batches of failed-batch objects (one object, or every object under a prefix,
  except replayed/) back through the same handler and prints each; it stops at the first failure,
  naming the object. Only when asked, a replayed object is deleted (--delete) or moved under
  replayed/ (--mark).`;

/** Integer flag with a default; a bad value is one line naming the flag. */
function integerFlag(
  flags: Record<string, string | boolean>,
  name: string,
  fallback: number,
  min = 1,
): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new ConfigInvalidError(`--${name} must be an integer >= ${min}, got ${String(raw)}`);
  }
  return value;
}

/** Flags that override a setting, checked with the setting's own schema. */
const settingFlags = {
  'batch-size': 'batchSize',
  'retry-attempts': 'retryAttempts',
  'on-failure': 'onFailureDestination',
  group: 'consumerGroupId',
} as const satisfies Record<string, keyof typeof eventSourceSettingsShape>;

/** The settings from cdk.json with the flags applied; cross-setting rules are checked on the result. */
function settingsWithFlags(flags: Record<string, string | boolean>): EventSourceSettings {
  const fromCdk = loadEventSourceSettings();
  const overrides = Object.fromEntries(
    Object.entries(settingFlags).flatMap(([flag, name]) =>
      typeof flags[flag] === 'string'
        ? [[name, parseWith(eventSourceSettingsShape[name], flags[flag], `--${flag}`)]]
        : [],
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

async function replay(flags: Record<string, string | boolean>, uri: string): Promise<number> {
  const ignored = [
    'batch-size',
    'batch-window-ms',
    'retry-attempts',
    'on-failure',
    'group',
    'latest',
    'seal-interval-s',
  ];
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

runCli(async () => {
  const { flags } = parseFlags(process.argv.slice(2), {
    'batch-size': 'string',
    'batch-window-ms': 'string',
    'retry-attempts': 'string',
    'on-failure': 'string',
    group: 'string',
    'seal-interval-s': 'string',
    latest: 'boolean',
    replay: 'string',
    delete: 'boolean',
    mark: 'boolean',
    help: 'boolean',
  });
  if (flags.help) {
    console.log(usage(loadEventSourceSettings()));
    return 0;
  }
  if (typeof flags.replay === 'string') return replay(flags, flags.replay);
  if (flags.delete || flags.mark)
    throw new ConfigInvalidError('--delete and --mark apply only with --replay');
  const settings = settingsWithFlags(flags);
  const batchWindowMs = integerFlag(flags, 'batch-window-ms', settings.batchingWindowSeconds * 1000, 0);
  const sealIntervalMs = integerFlag(flags, 'seal-interval-s', 15, 0) * 1000;

  const endpoints = parseLocalEndpoints();
  const kafka = pipelineKafka(endpoints, 'apphub-micro-batcher');
  const local = await loadLocalHandler(endpoints);
  const descriptors = parseBatcherDescriptors(local.descriptorsJson);
  const topics = [...new Set(descriptors.map((descriptor) => descriptor.topic))];
  const logger = createLogger('micro-batcher-runner');
  console.error(
    local.usesSampleDescriptor
      ? 'TIMESTORE_STREAMING_BATCHERS is unset: using the sample descriptor (dataset user-activity-1m)'
      : `TIMESTORE_STREAMING_BATCHERS: datasets ${descriptors.map((descriptor) => descriptor.dataset).join(', ')}`,
  );
  console.error(
    `consuming ${topics.join(', ')} as group ${settings.consumerGroupId} from ${kafka.bootstrapServers} (${kafka.security.protocol}): ` +
      `batch size ${settings.batchSize}, batching window ${batchWindowMs} ms, ${settings.retryAttempts} retries, ` +
      `on failure ${settings.onFailureDestination}, sealing pass every ${sealIntervalMs / 1000} s; Ctrl-C to stop`,
  );

  const runner = new BatcherRunner({
    // Natively the TLS listener with the local CA, as the event source mapping reaches MSK over TLS.
    kafka: kafka.kafka,
    groupId: settings.consumerGroupId,
    topics,
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
  await runner.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.error(`${signal}: stopping after the batch in flight...`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await runner.stop();
  console.error(
    `stopped: ${runner.processed} records in ${runner.batches} batches processed and committed` +
      (runner.failedBatches > 0
        ? `; ${runner.failedBatches} batches written to the on-failure destination`
        : ''),
  );
  return 0;
});
