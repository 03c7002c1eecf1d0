import { parseControlPlaneConfig, parseTaskManagerServiceConfig } from '@apphub/control-plane';
import { parseKafkaEnvironment } from '@apphub/kafka-client';
import { parseBatcherConfig, sampleBatchersJson } from '@apphub/microbatcher';
import { ConfigInvalidError, parseLocalEndpoints } from '@apphub/platform';
import { parseDeployedSmokeConfig } from '@apphub/smoke';
import { describe, expect, it } from 'vitest';

// Every process parses its environment with parseEnvironment: a misspelt APPHUB_* name fails its
// start in one line naming it, even beside a complete and valid environment.

const kafka = {
  APPHUB_KAFKA_BOOTSTRAP_SERVERS: 'b-1.msk.internal:9094,b-2.msk.internal:9094',
  APPHUB_KAFKA_SECURITY: '{"protocol":"SSL"}',
};
const batcher = {
  TIMESTORE_STREAMING_BATCHERS: sampleBatchersJson,
  APPHUB_DATA_LAKE_BUCKET: 'apphub-streaming-lake',
  APPHUB_WATERMARK_TABLE: 'streaming_watermarks',
};
const controlPlane = {
  APPHUB_FLINK_REST_URL: 'http://127.0.0.1:8081',
  APPHUB_SQL_GATEWAY_URL: 'http://127.0.0.1:8083',
  APPHUB_JOBS_TABLE: 'streaming_jobs',
  APPHUB_SAVEPOINTS_TABLE: 'streaming_savepoints',
  APPHUB_LEASES_TABLE: 'streaming_leases',
  APPHUB_SAVEPOINT_DIR: 's3://apphub-flink-checkpoints/savepoints',
};

/** Each process, the parser it runs at start and an environment it accepts. */
const processes: ReadonlyArray<{
  readonly name: string;
  readonly parse: (env: NodeJS.ProcessEnv) => unknown;
  readonly env: NodeJS.ProcessEnv;
  readonly where: string;
}> = [
  { name: 'the local tools and the bench', parse: parseLocalEndpoints, env: {}, where: 'environment' },
  {
    name: 'the micro-batcher function',
    parse: parseBatcherConfig,
    env: batcher,
    where: 'micro-batcher environment',
  },
  {
    name: 'the submit-sql, savepoint, reconcile and rescale functions',
    parse: parseControlPlaneConfig,
    env: controlPlane,
    where: 'control-plane environment',
  },
  {
    name: "the rescale function's TaskManager service",
    parse: parseTaskManagerServiceConfig,
    env: { APPHUB_TASKMANAGER_CLUSTER: 'flink', APPHUB_TASKMANAGER_SERVICE: 'taskmanagers' },
    where: 'rescale environment',
  },
  { name: 'the topic manager function', parse: parseKafkaEnvironment, env: kafka, where: 'environment' },
  {
    name: 'the smoke function',
    parse: parseDeployedSmokeConfig,
    env: {
      ...kafka,
      ...batcher,
      APPHUB_FLINK_REST_URL: 'http://jobmanager.apphubstreaming.internal:8081',
      APPHUB_MICRO_BATCHER_FUNCTION: 'AppHubStreamingFunctions-MicroBatcher-1A2B',
    },
    where: 'smoke environment',
  },
];

describe('every process refuses an APPHUB_* name the project does not know', () => {
  for (const { name, parse, env, where } of processes) {
    it(`${name}: in one line naming it`, () => {
      // Prepare: the environment is accepted as it is.
      expect(() => parse({ ...env, PATH: '/bin', AWS_REGION: 'eu-west-1' })).not.toThrow();

      // Act
      const attempt = () => parse({ ...env, APPHUB_WATERMARK_TABEL: 'streaming_watermarks' });

      // Assess
      expect(attempt).toThrow(ConfigInvalidError);
      expect(attempt).toThrow(
        new RegExp(
          `^${where} is invalid: APPHUB_WATERMARK_TABEL is not a variable of this project \\(check the spelling; see README\\)$`,
        ),
      );
    });
  }
});
