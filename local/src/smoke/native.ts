import path from 'node:path';
import { connectKafka } from '@apphub/kafka-client';
import {
  createBatcherStorage,
  type DatasetDescriptorInput,
  parseBatcherDescriptors,
  sampleBatchersJson,
} from '@apphub/microbatcher';
import { ConfigInvalidError, type LocalEndpoints, parseLocalEndpoints, platform } from '@apphub/platform';
import { runSmoke, type SmokeOptions, type SmokePreparation, type SmokeReport } from '@apphub/smoke';
import { loadLocalMapping } from '../batcher/index.js';
import { type BatcherProcess, batcherGroupIdOf, startBatcherProcess } from '../sample/micro-batch.js';
import { ensureSampleJobRunning, type SampleJobOptions } from '../sample/submit.js';
import { localKafkaSecurity, repoRoot, stackStatus, waitUntil } from '../stack/index.js';

/** Seconds between the sealing passes of an npm run batcher the smoke test starts. */
const SEAL_INTERVAL_S = 5;

export interface NativeSmokeOptions {
  /** The sample job's name, topics and group (default: the platform's); tests give their own. */
  readonly job?: Pick<
    SampleJobOptions,
    'jobName' | 'inputTopic' | 'outputTopic' | 'deadLetterTopic' | 'groupId'
  >;
  /** The datasets `npm run batcher` would write (default: TIMESTORE_STREAMING_BATCHERS, else the sample dataset). */
  readonly datasets?: readonly DatasetDescriptorInput[];
  /** Stack prefix the micro-batcher's consumer group is derived from (default: cdk.json's, as npm run batcher). */
  readonly batcherStackPrefix?: string;
  readonly endpoints?: LocalEndpoints;
}

/**
 * The smoke run on the native stack, with what it needs started when missing and said so in the
 * table: the stack must be up (it is not started: the smoke proves what runs); the sample job is
 * submitted through the control plane when it does not run (and then stays, managed, as after
 * `npm run submit:sample`); without a running `npm run batcher` (its consumer group has no member),
 * one is started for the run (the micro-batcher function's handler behind the local event source
 * mapping, with cdk.json's settings and consumer group), and stopped after it.
 */
export async function runNativeSmoke(
  options: NativeSmokeOptions,
  smoke: Omit<SmokeOptions, 'deadline'> & { readonly timeoutMs: number },
): Promise<SmokeReport> {
  const endpoints = options.endpoints ?? parseLocalEndpoints();
  const jobName = options.job?.jobName ?? platform.sampleJob.name;
  const input = options.job?.inputTopic ?? platform.topics.input.name;
  const aggregates = options.job?.outputTopic ?? platform.topics.aggregates.name;
  const datasetsJson = options.datasets
    ? JSON.stringify(options.datasets)
    : process.env.TIMESTORE_STREAMING_BATCHERS || sampleBatchersJson;
  const descriptors = parseBatcherDescriptors(datasetsJson);
  const descriptor = descriptors.find((candidate) => candidate.topic === aggregates);
  if (descriptor === undefined) {
    throw new ConfigInvalidError(
      `no dataset of TIMESTORE_STREAMING_BATCHERS reads ${aggregates}; the smoke test follows the sample job's aggregates into the lake`,
    );
  }
  const stackPrefix = options.batcherStackPrefix ?? loadLocalMapping().stackPrefix;
  const groupId = batcherGroupIdOf(aggregates, stackPrefix);
  const kafka = await connectKafka({
    clientId: 'apphub-smoke',
    brokers: endpoints.tlsBrokers,
    security: localKafkaSecurity(),
  });
  let batcher: BatcherProcess | undefined;
  const preparations: SmokePreparation[] = [
    {
      name: 'local stack',
      run: async () => {
        const status = await stackStatus({ endpoints });
        const down = status.components.filter((component) => !component.healthy).map((c) => c.component);
        if (!status.healthy) {
          throw new ConfigInvalidError(`not healthy: ${down.join(', ')}; start it with npm run local:up`);
        }
        return `all ${status.components.length} components healthy (not started by the smoke test)`;
      },
    },
    {
      name: `sample job ${jobName}`,
      run: async () => {
        const { jobId, submitted } = await ensureSampleJobRunning(endpoints.flinkRestUrl, {
          ...options.job,
          jobName,
        });
        return submitted
          ? `was not running: submitted through the control plane as ${jobId} (managed; it keeps running)`
          : `already running as ${jobId}`;
      },
    },
    {
      name: 'micro-batcher',
      run: async () => {
        const members = await kafka.groupMembers(groupId);
        if (members > 0)
          return `npm run batcher runs (group ${groupId}, ${members} members); it seals by itself`;
        batcher = startBatcherProcess(
          ['--stack-prefix', stackPrefix, '--seal-interval-s', String(SEAL_INTERVAL_S)],
          {
            ...process.env,
            TIMESTORE_STREAMING_BATCHERS: datasetsJson,
          },
        );
        const started = batcher;
        const joined = await waitUntil(
          'npm run batcher to join its group',
          async () => (await kafka.groupMembers(groupId)) > 0,
          {
            timeoutMs: 60_000,
            isAlive: started.alive,
          },
        );
        if (!joined)
          throw new ConfigInvalidError(`npm run batcher did not start consuming; see ${started.log}`);
        return `was not running: started npm run batcher (group ${groupId}, sealing pass every ${SEAL_INTERVAL_S} s, log ${path.relative(repoRoot, started.log)}), stopped at the end`;
      },
    },
  ];
  try {
    return await runSmoke(
      {
        target: 'native',
        kafka,
        topics: { input, aggregates },
        descriptor,
        storage: createBatcherStorage({
          bucket: platform.storage.dataLakeBucket,
          table: platform.storage.watermarkTable,
          awsEndpointUrl: endpoints.awsEndpointUrl,
          s3EndpointUrl: endpoints.s3EndpointUrl,
        }),
        watermarkDelayMs: platform.sampleJob.watermarkDelaySeconds * 1000,
        preparations,
      },
      { ...smoke, deadline: Date.now() + smoke.timeoutMs },
    );
  } finally {
    await batcher?.stop();
    await kafka.close();
  }
}
