import { platform } from '@apphub/platform';
import { streamingDisabledMessage, streamingFlag } from '../stack/streaming-flag.js';
import { awsBootstrapScript, bucketBootstrapScript, topicBootstrapScript } from './bootstrap-scripts.js';
import {
  composeFlinkDataDir,
  containerFlinkSettings,
  containerHosts,
  minioPort,
  toFlinkProperties,
} from './flink-settings.js';
import {
  flinkImageBuildArgs,
  flinkImageContext,
  flinkImageDockerfile,
  images,
  minioDemoCredentials,
} from './images.js';

/** `demo` runs from local/compose with relative paths; `e2e` mounts the repository at APPHUB_E2E_REPO_ROOT. */
export type ComposeVariant = 'demo' | 'e2e';

const hosts = containerHosts.compose;
const motoHost = 'moto';
const internalKafkaPort = platform.ports.kafka;
const externalKafkaPort = 19092;
/** Where the repository is mounted inside the E2E containers, so the sample SQL is at /opt/apphub/infra/sql. */
export const e2eRepoMount = '/opt/apphub';

/** Compose interpolates `$NAME` in the file; scripts that use shell variables need them escaped as `$$`. */
function escapeForCompose(script: string): string {
  return script.replaceAll('$', () => '$$');
}

/** `${NAME:-fallback}`: compose substitutes the host's variable, or the fallback when it is unset or empty. */
function variableOr(name: string, fallback: string): string {
  return `\${${name}:-${fallback}}`;
}

/** `${NAME:?message}`: compose refuses to read the file without the variable. */
function requiredVariable(name: string, message: string): string {
  return `\${${name}:?${message}}`;
}

/**
 * Profiles carry APPHUB_STREAMING_ENABLED: every service of the stack is in `streaming-<flag>` and the
 * notice in `streaming-off-<flag>`; local/compose/.env enables `streaming-1` and `streaming-off-0`, so
 * the flag unset or 1 starts the stack and 0 starts only the notice. A service named on the command
 * line starts whatever its profile (https://docs.docker.com/compose/how-tos/profiles/).
 */
const streamingProfile = `streaming-${variableOr(streamingFlag, '1')}`;
const streamingOffProfile = `streaming-off-${variableOr(streamingFlag, '1')}`;
/** COMPOSE_PROFILES of local/compose/.env: the profiles above as they resolve for the wanted flag value. */
export const composeProfiles: readonly string[] = Object.freeze(['streaming-1', 'streaming-off-0']);
/** The one-shot service that prints why nothing else started. */
export const streamingNoticeService = 'streaming-disabled';

/** `services` with every one in the streaming profile, plus the notice that runs instead of them. */
function withStreamingProfiles(services: Record<string, Record<string, unknown>>): Record<string, unknown> {
  const profiled = Object.fromEntries(
    Object.entries(services).map(([name, service]) => [name, { ...service, profiles: [streamingProfile] }]),
  );
  return {
    ...profiled,
    [streamingNoticeService]: {
      image: images.node,
      entrypoint: ['echo'],
      command: [streamingDisabledMessage('compose')],
      profiles: [streamingOffProfile],
      restart: 'no',
    },
  };
}

const healthy = { condition: 'service_healthy' } as const;
const completed = { condition: 'service_completed_successfully' } as const;

function healthcheck(test: string, retries = 30) {
  return { test: ['CMD-SHELL', test], interval: '5s', timeout: '5s', retries, start_period: '10s' };
}

/**
 * The compose file as an object, rendered to YAML by renderManifests. Every version, port, topic
 * and Flink setting comes from infra/platform.json through containerFlinkSettings and images.
 */
export function composeDocument(variant: ComposeVariant): Record<string, unknown> {
  const repoRoot =
    variant === 'demo'
      ? '../..'
      : requiredVariable('APPHUB_E2E_REPO_ROOT', 'set APPHUB_E2E_REPO_ROOT to the repository root');
  const demoData = variant === 'demo' ? './demo-data' : `${repoRoot}/local/compose/demo-data`;
  const interval = platform.flink.settings['execution.checkpointing.interval'];
  const flinkProperties = toFlinkProperties({
    ...containerFlinkSettings('compose'),
    // Same override the native stack honours; compose substitutes it when the file is read.
    ...(interval === undefined
      ? {}
      : { 'execution.checkpointing.interval': variableOr('APPHUB_FLINK_CHECKPOINT_INTERVAL', interval) }),
    's3.access-key': minioDemoCredentials.user,
    's3.secret-key': minioDemoCredentials.password,
  });
  const flinkVolumes = [
    `${demoData}/flink:${composeFlinkDataDir}`,
    ...(variant === 'e2e' ? [`${repoRoot}:${e2eRepoMount}:ro`] : []),
  ];
  const flinkService = (command: string[], extra: Record<string, unknown>) => ({
    image: images.flink,
    build: {
      context: `${repoRoot}/${flinkImageContext}`,
      dockerfile: flinkImageDockerfile,
      args: { ...flinkImageBuildArgs },
    },
    command,
    environment: { FLINK_PROPERTIES: flinkProperties },
    volumes: flinkVolumes,
    // A process that dies is started again, as supervisord does natively and ECS does with a task.
    restart: 'unless-stopped',
    ...extra,
  });
  const minioEnvironment = {
    MINIO_ROOT_USER: minioDemoCredentials.user,
    MINIO_ROOT_PASSWORD: minioDemoCredentials.password,
  };

  return {
    services: withStreamingProfiles({
      redpanda: {
        image: images.redpanda,
        command: [
          'redpanda',
          'start',
          '--mode=dev-container',
          '--smp=1',
          '--memory=1G',
          `--kafka-addr=internal://0.0.0.0:${internalKafkaPort},external://0.0.0.0:${externalKafkaPort}`,
          `--advertise-kafka-addr=internal://${hosts.redpanda}:${internalKafkaPort},external://127.0.0.1:${platform.ports.kafka}`,
        ],
        ports: [`127.0.0.1:${platform.ports.kafka}:${externalKafkaPort}`],
        volumes: ['redpanda-data:/var/lib/redpanda/data'],
        restart: 'unless-stopped',
        healthcheck: healthcheck("rpk cluster health | grep -Eq 'Healthy:.+true'"),
      },
      'redpanda-init': {
        image: images.redpanda,
        entrypoint: ['/bin/bash', '-c'],
        command: [escapeForCompose(topicBootstrapScript(`${hosts.redpanda}:${internalKafkaPort}`))],
        depends_on: { redpanda: healthy },
        restart: 'no',
      },
      minio: {
        image: images.minio,
        command: ['server', '/data', '--console-address', ':9001'],
        environment: minioEnvironment,
        ports: [`127.0.0.1:${minioPort}:${minioPort}`, '127.0.0.1:9001:9001'],
        volumes: ['minio-data:/data'],
        restart: 'unless-stopped',
        healthcheck: healthcheck('mc ready local'),
      },
      'minio-init': {
        image: images.minioClient,
        entrypoint: ['/bin/sh', '-c'],
        command: [
          escapeForCompose(
            bucketBootstrapScript(`http://${hosts.minio}:${minioPort}`, [
              platform.storage.checkpointBucket,
              platform.storage.dataLakeBucket,
              platform.storage.failedBatchBucket,
            ]),
          ),
        ],
        environment: minioEnvironment,
        depends_on: { minio: healthy },
        restart: 'no',
      },
      moto: {
        image: images.moto,
        entrypoint: ['moto_server', '-H', '0.0.0.0', '-p', String(platform.ports.awsEndpoint)],
        ports: [`127.0.0.1:${platform.ports.awsEndpoint}:${platform.ports.awsEndpoint}`],
        restart: 'unless-stopped',
        healthcheck: healthcheck(
          `python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:${platform.ports.awsEndpoint}/moto-api/')"`,
        ),
      },
      'moto-init': {
        image: images.moto,
        entrypoint: ['python', '-c'],
        command: [escapeForCompose(awsBootstrapScript(`http://${motoHost}:${platform.ports.awsEndpoint}`))],
        depends_on: { moto: healthy },
        restart: 'no',
      },
      // Docker creates a missing bind-mount folder owned by root; Flink runs as uid 9999 and must write checkpoints there.
      'flink-data-init': flinkService(
        [`mkdir -p ${composeFlinkDataDir}/checkpoints && chown -R flink:flink ${composeFlinkDataDir}`],
        {
          user: 'root',
          entrypoint: ['/bin/sh', '-c'],
          environment: {},
          restart: 'no',
        },
      ),
      [hosts.jobManager]: flinkService(['jobmanager'], {
        ports: [
          `${variableOr('APPHUB_FLINK_UI_PORT', String(platform.ports.flinkRest))}:${platform.ports.flinkRest}`,
          `127.0.0.1:${platform.ports.prometheusJobManager}:${platform.ports.prometheusJobManager}`,
        ],
        depends_on: { 'flink-data-init': completed, 'redpanda-init': completed, 'minio-init': completed },
        healthcheck: healthcheck(
          `curl -fsS http://127.0.0.1:${platform.ports.flinkRest}/overview >/dev/null`,
        ),
      }),
      // No container_name and no host ports: `docker compose up -d --scale flink-taskmanager=N` adds TaskManagers.
      'flink-taskmanager': flinkService(['taskmanager'], {
        scale: platform.flink.taskManagers,
        depends_on: { 'flink-data-init': completed, [hosts.jobManager]: healthy },
        healthcheck: healthcheck(
          `curl -fsS http://127.0.0.1:${platform.ports.prometheusJobManager}/metrics >/dev/null`,
        ),
      }),
      [hosts.sqlGateway]: flinkService(['bin/sql-gateway.sh', 'start-foreground'], {
        ports: [`127.0.0.1:${platform.ports.sqlGateway}:${platform.ports.sqlGateway}`],
        depends_on: { 'flink-data-init': completed, [hosts.jobManager]: healthy },
        healthcheck: healthcheck(
          `curl -fsS http://127.0.0.1:${platform.ports.sqlGateway}/v1/info >/dev/null`,
        ),
      }),
      'micro-batcher': {
        image: images.node,
        working_dir: '/workspace',
        command: ['npm', 'run', 'batcher'],
        volumes: [`${repoRoot}:/workspace`],
        environment: {
          APPHUB_STREAM_BROKER_URL: `${hosts.redpanda}:${internalKafkaPort}`,
          // How the runner reaches Kafka here (Redpanda's in-network plaintext listener), in the variables
          // the control plane uses too; natively the runner takes the TLS listener instead.
          APPHUB_KAFKA_BOOTSTRAP_SERVERS: `${hosts.redpanda}:${internalKafkaPort}`,
          APPHUB_KAFKA_SECURITY: JSON.stringify({ protocol: 'PLAINTEXT' }),
          APPHUB_AWS_ENDPOINT_URL: `http://${motoHost}:${platform.ports.awsEndpoint}`,
          APPHUB_S3_ENDPOINT_URL: `http://${hosts.minio}:${minioPort}`,
          APPHUB_DATA_LAKE_BUCKET: platform.storage.dataLakeBucket,
          APPHUB_WATERMARK_TABLE: platform.storage.watermarkTable,
          // Passed through from the host when set; unset, `npm run batcher` runs the sample job's dataset.
          TIMESTORE_STREAMING_BATCHERS: null,
          AWS_REGION: 'us-east-1',
        },
        depends_on: { 'redpanda-init': completed, 'minio-init': completed, 'moto-init': completed },
        restart: 'on-failure',
      },
    }),
    volumes: { 'redpanda-data': {}, 'minio-data': {} },
  };
}
