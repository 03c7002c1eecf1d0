import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';
import type { TopicRecords } from '@apphub/kafka-client';
import {
  consumerGroupIdFor,
  createBatcherStorage,
  type DatasetDescriptor,
  parseBatcherDescriptors,
  sampleBatchersJson,
} from '@apphub/microbatcher';
import { type LocalEndpoints, platform } from '@apphub/platform';
import { loadLocalMapping } from '../batcher/settings.js';
import { LocalError } from '../errors.js';
import { logFile, type Progress, repoRoot, stackPaths, waitUntil } from '../stack/index.js';

/**
 * The consumer group `npm run batcher` reads `topic` as (cdk.json's stackPrefix, or `stackPrefix`):
 * the demo and the smoke test start it that way, so they share its committed progress.
 */
export function batcherGroupIdOf(topic: string, stackPrefix = loadLocalMapping().stackPrefix): string {
  return consumerGroupIdFor(stackPrefix, topic);
}

/** An `npm run batcher` process started by a tool, logging to .local/logs/micro-batcher.log. */
export interface BatcherProcess {
  readonly log: string;
  alive(): boolean;
  /** Stops it with SIGINT (after the batch in flight) and waits for it to exit. */
  stop(): Promise<void>;
  /**
   * Sends `signal` to its whole process group (tsx runs the CLI in a child process, which a signal
   * to tsx alone would leave running) and waits for it to exit; only with `ownProcessGroup`.
   */
  killGroup(signal: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `npm run batcher` with `args` (its own flags) and `env`, its output appended to its log.
 * With `ownProcessGroup` it leads a process group of its own, so `killGroup` reaches every process.
 */
export function startBatcherProcess(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  options: { readonly ownProcessGroup?: boolean } = {},
): BatcherProcess {
  const log = logFile(stackPaths(), 'micro-batcher');
  const out = openSync(log, 'a');
  const child = spawn(
    path.join(repoRoot, 'node_modules/.bin/tsx'),
    [path.join(repoRoot, 'local/src/cli/batcher.ts'), ...args],
    { cwd: repoRoot, stdio: ['ignore', out, out], env, detached: options.ownProcessGroup === true },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let alive = true;
  void exited.then(() => {
    alive = false;
  });
  return {
    log,
    alive: () => alive,
    stop: async () => {
      if (alive) child.kill('SIGINT');
      await exited;
    },
    killGroup: async (signal) => {
      if (!options.ownProcessGroup)
        throw new LocalError('killGroup needs a batcher started with ownProcessGroup');
      if (alive) process.kill(-child.pid!, signal);
      await exited;
    },
  };
}

/**
 * Runs `npm run batcher` (the Lambda handler behind a local event source mapping) until its group
 * has committed everything on the aggregates topic, then stops it with SIGINT (after the batch in
 * flight) and returns what the hybrid read needs. The batcher's log goes to .local/logs.
 */
export async function microBatchAggregates(
  endpoints: LocalEndpoints,
  kafka: Pick<TopicRecords, 'endOffsets' | 'committedOffsets'>,
  progress: Progress,
): Promise<{ descriptor: DatasetDescriptor; storage: ReturnType<typeof createBatcherStorage> }> {
  const batcher = startBatcherProcess(['--batch-size', '1000', '--seal-interval-s', '5']);
  const { log } = batcher;
  const topic = platform.topics.aggregates.name;
  const batcherGroupId = batcherGroupIdOf(topic);
  try {
    const caughtUp = await waitUntil(
      'the micro-batcher to commit every aggregate',
      async () => {
        const ends = await kafka.endOffsets(topic);
        const committed = await kafka.committedOffsets(batcherGroupId, topic);
        let lag = 0;
        for (const [partition, end] of ends) {
          lag += Math.max(0, Number(end) - Number(committed.get(partition) ?? '0'));
        }
        progress.detail(`${lag} aggregates left to micro-batch`);
        return lag === 0;
      },
      { timeoutMs: 180_000, intervalMs: 2_000, progress, isAlive: batcher.alive },
    );
    if (!caughtUp) throw new Error(`the micro-batcher did not catch up; see ${log}`);
  } finally {
    await batcher.stop();
  }
  const [descriptor] = parseBatcherDescriptors(
    process.env.TIMESTORE_STREAMING_BATCHERS || sampleBatchersJson,
  );
  const storage = createBatcherStorage({
    bucket: platform.storage.dataLakeBucket,
    table: platform.storage.watermarkTable,
    awsEndpointUrl: endpoints.awsEndpointUrl,
    s3EndpointUrl: endpoints.s3EndpointUrl,
  });
  return { descriptor: descriptor!, storage };
}
