import { parseBatcherDescriptors } from '@apphub/microbatcher';
import { createLogger } from '@apphub/observability';
import { ConfigInvalidError, parseLocalEndpoints } from '@apphub/platform';
import { BatcherRunner, loadLocalHandler } from '../batcher/index.js';
import { localKafka, localKafkaSecurity } from '../stack/index.js';
import { parseFlags, runCli } from './run-cli.js';

const usage = `npm run batcher -- [--batch-size N] [--batch-window-ms MS] [--group ID] [--seal-interval-s S] [--latest]
  Consumes the topics of TIMESTORE_STREAMING_BATCHERS (default: the sample dataset user-activity-1m on
  apphub.streaming.aggregates) and invokes functions/micro-batcher/handler.ts with MSK-shaped events.
  Offsets are committed only after the handler succeeds. Ctrl-C stops after the batch in flight.`;

/** Positive integer flag with a default; a bad value is one line naming the flag. */
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

runCli(async () => {
  const { flags } = parseFlags(process.argv.slice(2), {
    'batch-size': 'string',
    'batch-window-ms': 'string',
    group: 'string',
    'seal-interval-s': 'string',
    latest: 'boolean',
    help: 'boolean',
  });
  if (flags.help) {
    console.log(usage);
    return 0;
  }
  const batchSize = integerFlag(flags, 'batch-size', 100);
  if (batchSize > 10_000)
    throw new ConfigInvalidError(`--batch-size must be at most 10000 (Lambda's limit), got ${batchSize}`);
  const batchWindowMs = integerFlag(flags, 'batch-window-ms', 500, 0);
  const sealIntervalMs = integerFlag(flags, 'seal-interval-s', 15, 0) * 1000;
  const groupId = typeof flags.group === 'string' ? flags.group : 'apphub-micro-batcher';

  const endpoints = parseLocalEndpoints();
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
    `consuming ${topics.join(', ')} as group ${groupId} from ${endpoints.tlsBrokers.join(',')} (TLS): batch size ${batchSize}, ` +
      `batching window ${batchWindowMs} ms, sealing pass every ${sealIntervalMs / 1000} s; Ctrl-C to stop`,
  );

  const runner = new BatcherRunner({
    // The TLS listener with the local CA, as the event source mapping reaches MSK over TLS.
    kafka: localKafka(endpoints, 'apphub-micro-batcher', localKafkaSecurity()),
    groupId,
    topics,
    invoke: local.invoke,
    logger,
    batchSize,
    batchWindowMs,
    sealIntervalMs,
    fromBeginning: !flags.latest,
    bootstrapServers: endpoints.tlsBrokers.join(','),
    onBatch: (batch) =>
      console.error(
        `committed ${batch.topic}-${batch.partition} up to offset ${batch.nextOffset} (${batch.records} records)`,
      ),
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
  console.error(`stopped: ${runner.processed} records in ${runner.batches} batches processed and committed`);
  return 0;
});
