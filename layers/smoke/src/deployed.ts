import { FlinkRestClient } from '@apphub/flink';
import {
  connectKafka,
  type KafkaEnvironment,
  kafkaConnectionOf,
  parseKafkaEnvironment,
} from '@apphub/kafka-client';
import { type BatcherConfig, createBatcherStorage, parseBatcherConfig } from '@apphub/microbatcher';
import { parseEnvironment, platform, z } from '@apphub/platform';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { SmokeRequestInvalidError } from './errors.js';
import { runSmoke, type SmokeReport } from './run.js';

/** What the smoke function reads from its environment (set by the functions stack). */
export interface DeployedSmokeConfig {
  readonly kafka: KafkaEnvironment;
  readonly batcher: BatcherConfig;
  readonly flinkRestUrl: string;
  /** The micro-batcher function, asked for sealing passes with the event its schedule sends. */
  readonly microBatcherFunction: string;
}

const environmentSchema = z.strictObject({
  APPHUB_FLINK_REST_URL: z.url(),
  APPHUB_MICRO_BATCHER_FUNCTION: z.string().min(1),
});

/** Parses the smoke function's environment once, at cold start; one line naming the bad variable. */
export function parseDeployedSmokeConfig(env: NodeJS.ProcessEnv = process.env): DeployedSmokeConfig {
  const parsed = parseEnvironment(environmentSchema, env, 'smoke environment');
  return {
    kafka: parseKafkaEnvironment(env),
    batcher: parseBatcherConfig(env),
    flinkRestUrl: parsed.APPHUB_FLINK_REST_URL.replace(/\/+$/, ''),
    microBatcherFunction: parsed.APPHUB_MICRO_BATCHER_FUNCTION,
  };
}

const requestSchema = z.strictObject({
  runId: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/)
    .optional(),
});

/**
 * One smoke run inside the deployment (the smoke function): the same steps as natively, against
 * the deployed topics, lake and watermark table. The sample job must already run (submitted with
 * submit-sql); the event source mapping feeds the micro-batcher, and a sealing pass is asked of it
 * every few seconds, as its schedule would, so a quiet deployment seals without waiting for the
 * schedule. `deadline` is when the run must be over (before the function's timeout).
 */
export async function runDeployedSmoke(
  config: DeployedSmokeConfig,
  clients: { readonly lambda: Pick<LambdaClient, 'send'> },
  event: unknown,
  deadline: number,
): Promise<SmokeReport> {
  const request = requestSchema.safeParse(event ?? {});
  if (!request.success) {
    throw new SmokeRequestInvalidError(
      'the smoke request is {} or {"runId": "<lower-case letters, digits, dashes>"}',
    );
  }
  const aggregates = platform.topics.aggregates.name;
  const descriptor = config.batcher.descriptors.find((candidate) => candidate.topic === aggregates);
  if (descriptor === undefined) {
    throw new SmokeRequestInvalidError(`no dataset of TIMESTORE_STREAMING_BATCHERS reads ${aggregates}`);
  }
  const kafka = await connectKafka(await kafkaConnectionOf(config.kafka, 'apphub-smoke'));
  const jobName = platform.sampleJob.name;
  try {
    return await runSmoke(
      {
        target: 'aws',
        kafka,
        topics: { input: platform.topics.input.name, aggregates },
        descriptor,
        storage: createBatcherStorage(config.batcher),
        watermarkDelayMs: platform.sampleJob.watermarkDelaySeconds * 1000,
        preparations: [
          {
            name: `sample job ${jobName}`,
            run: async () => {
              const jobs = await new FlinkRestClient({ baseUrl: config.flinkRestUrl }).jobs();
              const running = jobs.find((job) => job.name === jobName && job.state === 'RUNNING');
              if (running === undefined) {
                throw new SmokeRequestInvalidError(
                  `not running on ${config.flinkRestUrl}: submit it with the submit-sql function (docs/deploy.md, first deploy checklist)`,
                );
              }
              return `running as ${running.id}`;
            },
          },
        ],
        requestSealingPass: async () => {
          await clients.lambda.send(
            new InvokeCommand({
              FunctionName: config.microBatcherFunction,
              InvocationType: 'Event',
              Payload: new TextEncoder().encode(
                JSON.stringify({
                  source: 'aws.events',
                  'detail-type': 'Scheduled Event',
                  time: new Date().toISOString(),
                  detail: {},
                }),
              ),
            }),
          );
        },
      },
      { runId: request.data.runId, deadline, sealingPassEveryMs: 30_000 },
    );
  } finally {
    await kafka.close();
  }
}
