import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { connect } from 'node:tls';
import { promisify } from 'node:util';
import { FlinkError, FlinkRestClient } from '@apphub/flink';
import { LOCAL_AWS_CREDENTIALS, type LocalEndpoints, platform } from '@apphub/platform';
import { getJson, localKafka } from './clients.js';
import { kafkaClusterId, writeKafkaConf } from './config-files.js';
import { flinkResourceParams, java17ModuleFlags } from './java.js';
import { repoRoot, type StackPaths } from './paths.js';
import type { ProgramSpec } from './supervisor.js';
import { kafkaTlsFiles } from './tls.js';

/** Everything a component needs to start: resolved classpaths, binaries and the written config. */
export interface LaunchContext {
  readonly paths: StackPaths;
  readonly endpoints: LocalEndpoints;
  readonly flinkClasspath: string;
  readonly kafkaClasspath: string;
  readonly python: string;
  readonly minio: string;
  readonly flinkConfDir: string;
  readonly flinkPluginsDir: string;
}

export interface Probe {
  readonly healthy: boolean;
  readonly detail: string;
}

/** One process of the stack: what supervisord runs, which ports it takes, how to tell it is healthy. */
export interface ComponentSpec {
  readonly name: string;
  /** Ports it listens on; they must be free (or its own) before it starts. */
  ports(endpoints: LocalEndpoints): readonly number[];
  readonly startupTimeoutMs: number;
  /** What supervisord runs (a launch script that `exec`s this). */
  program(context: LaunchContext): ProgramSpec;
  /** Work before `local:up` starts it (not before supervisord's own restarts), e.g. formatting storage. */
  prepare?(context: LaunchContext): Promise<void>;
  /** Health from the component's own endpoint. */
  probe(paths: StackPaths, endpoints: LocalEndpoints): Promise<Probe>;
}

/**
 * What the JobManager's REST API answered, through the typed client with the probe timeout and no
 * retries; undefined when it did not answer or answered an error (starting, or down).
 */
export async function askJobManager<T>(
  endpoints: LocalEndpoints,
  read: (flink: FlinkRestClient) => Promise<T>,
): Promise<T | undefined> {
  try {
    return await read(FlinkRestClient.forHealthProbes(endpoints.flinkRestUrl));
  } catch (error) {
    if (error instanceof FlinkError) return undefined;
    throw error;
  }
}

const execFileAsync = promisify(execFile);

function portOf(url: string): number {
  return Number(new URL(url).port);
}

/** Start order (lower first) and, reversed, stop order. */
const priority = { storage: 100, kafka: 200, jobManager: 300, taskManager: 400, gateway: 500 } as const;

/**
 * MinIO's command line and environment (its root user is the local credentials), serving `dataDir` on
 * 127.0.0.1:`port` with its console on `consolePort`: the stack's and the storage tests' one launch.
 */
export function minioCommand(
  binary: string,
  dataDir: string,
  port: number,
  consolePort: number,
): { readonly argv: readonly string[]; readonly env: Readonly<Record<string, string>> } {
  return {
    argv: [
      binary,
      'server',
      dataDir,
      '--address',
      `127.0.0.1:${port}`,
      '--console-address',
      `127.0.0.1:${consolePort}`,
    ],
    env: {
      MINIO_ROOT_USER: LOCAL_AWS_CREDENTIALS.accessKeyId,
      MINIO_ROOT_PASSWORD: LOCAL_AWS_CREDENTIALS.secretAccessKey,
      MINIO_UPDATE: 'off',
    },
  };
}

/**
 * The DynamoDB endpoint's command line: local/moto/serve.py (moto behind a lock, so conditional writes
 * are atomic as in DynamoDB) on 127.0.0.1:`port`, keeping its contents in `stateFile` when given.
 */
export function motoCommand(python: string, port: number, stateFile?: string): readonly string[] {
  return [
    python,
    path.join(repoRoot, 'local', 'moto', 'serve.py'),
    '-H',
    '127.0.0.1',
    '-p',
    String(port),
    ...(stateFile === undefined ? [] : ['--state', stateFile]),
  ];
}

/** True when `url` answers 2xx within the probe timeout. */
async function answersOk(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(3_000) }).then(
    (response) => response.ok,
    () => false,
  );
}

/** True when the MinIO at `s3EndpointUrl` is ready to serve requests. */
export function minioReady(s3EndpointUrl: string): Promise<boolean> {
  return answersOk(`${s3EndpointUrl}/minio/health/ready`);
}

/** True when the moto at `awsEndpointUrl` answers. */
export function motoReady(awsEndpointUrl: string): Promise<boolean> {
  return answersOk(`${awsEndpointUrl}/moto-api/`);
}

const minio: ComponentSpec = {
  name: 'minio',
  ports: (endpoints) => [portOf(endpoints.s3EndpointUrl), platform.ports.minioConsole],
  startupTimeoutMs: 60_000,
  program: ({ paths, endpoints, minio: binary }) => ({
    name: 'minio',
    ...minioCommand(binary, paths.minioData, portOf(endpoints.s3EndpointUrl), platform.ports.minioConsole),
    priority: priority.storage,
    stopWaitSeconds: 15,
  }),
  probe: async (_paths, endpoints) => {
    const ok = await minioReady(endpoints.s3EndpointUrl);
    return {
      healthy: ok,
      detail: ok
        ? `S3 (MinIO ${platform.versions.minioSource.slice(-12)}), console http://127.0.0.1:${platform.ports.minioConsole}`
        : 'not answering',
    };
  },
};

const dynamodb: ComponentSpec = {
  name: 'dynamodb',
  ports: (endpoints) => [portOf(endpoints.awsEndpointUrl)],
  startupTimeoutMs: 60_000,
  program: ({ paths, endpoints, python }) => ({
    name: 'dynamodb',
    argv: motoCommand(python, portOf(endpoints.awsEndpointUrl), paths.awsState),
    priority: priority.storage,
    stopWaitSeconds: 20,
  }),
  probe: async (_paths, endpoints) => {
    const ok = await motoReady(endpoints.awsEndpointUrl);
    return { healthy: ok, detail: ok ? `DynamoDB (moto ${platform.versions.moto})` : 'not answering' };
  },
};

/** True when the TLS listener completes a handshake whose certificate chains to the local CA. */
function tlsHandshake(address: string, caPem: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host, port: Number(port), ca: readFileSync(caPem), timeout: 3_000 }, () => {
      resolve(socket.authorized);
      socket.end();
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const kafkaJvm = (context: LaunchContext) => {
  const log4j = path.join(context.paths.kafkaConf, 'log4j2.properties');
  return ['-Xms256m', '-Xmx768m', `-Dlog4j2.configurationFile=${log4j}`, '-cp', context.kafkaClasspath];
};

const kafka: ComponentSpec = {
  name: 'kafka',
  ports: (endpoints) => [
    Number(endpoints.brokers[0]?.split(':')[1]),
    Number(endpoints.tlsBrokers[0]?.split(':')[1]),
    platform.ports.kafkaController,
  ],
  startupTimeoutMs: 90_000,
  prepare: async (context) => {
    const { serverProperties } = writeKafkaConf(context.paths, context.endpoints);
    if (existsSync(path.join(context.paths.kafkaData, 'meta.properties'))) return;
    // KRaft refuses to start on unformatted storage ("No readable meta.properties").
    await execFileAsync('java', [
      ...kafkaJvm(context),
      'kafka.tools.StorageTool',
      'format',
      '--standalone',
      // '=' keeps an id that starts with '-' (ids stored by older versions) from reading as an option.
      `--cluster-id=${kafkaClusterId(context.paths)}`,
      '-c',
      serverProperties,
    ]);
  },
  program: (context) => ({
    name: 'kafka',
    argv: [
      'java',
      ...kafkaJvm(context),
      'kafka.Kafka',
      path.join(context.paths.kafkaConf, 'server.properties'),
    ],
    priority: priority.kafka,
    stopWaitSeconds: 60,
  }),
  probe: async (paths, endpoints) => {
    const kafka = localKafka(endpoints, 'apphub-status');
    try {
      const wanted = Object.values(platform.topics);
      const cluster = await kafka.observe(wanted.map((topic) => topic.name));
      const tlsAddress = endpoints.tlsBrokers[0]!;
      const tls = await tlsHandshake(tlsAddress, kafkaTlsFiles(paths).caPem);
      return {
        healthy: cluster.brokers > 0 && tls,
        detail: `${cluster.brokers} broker, ${cluster.topics.length}/${wanted.length} streaming topics, TLS ${tlsAddress} ${tls ? 'ok' : 'NOT answering'}`,
      };
    } catch (error) {
      return { healthy: false, detail: error instanceof Error ? error.message : String(error) };
    } finally {
      await kafka.close().catch(() => undefined);
    }
  },
};

/** JVM arguments every Flink process shares: module flags, logging, classpath. */
function flinkJvmBase(context: LaunchContext): string[] {
  return [
    ...java17ModuleFlags,
    `-Dlog4j.configurationFile=${path.join(context.flinkConfDir, 'log4j.properties')}`,
    '-cp',
    context.flinkClasspath,
  ];
}

/** Where Flink finds its plugins (the S3 file system), as the image's entrypoint sets it. */
const flinkEnv = (context: LaunchContext) => ({
  FLINK_CONF_DIR: context.flinkConfDir,
  FLINK_PLUGINS_DIR: context.flinkPluginsDir,
});

/** JobManager and TaskManager JVMs also need their fully derived memory settings. */
function flinkJvm(context: LaunchContext, role: 'JM' | 'TM'): { jvm: string[]; dynamic: string[] } {
  const params = flinkResourceParams(context.flinkClasspath, context.flinkConfDir, role);
  return { jvm: [...params.jvmArgs, ...flinkJvmBase(context)], dynamic: params.dynamicConfigs };
}

const jobManager: ComponentSpec = {
  name: 'jobmanager',
  ports: (endpoints) => [
    endpoints.flinkUiPort,
    platform.ports.jobManagerRpc,
    platform.ports.blobServer,
    platform.ports.prometheusJobManager,
  ],
  startupTimeoutMs: 90_000,
  program: (context) => {
    const { jvm, dynamic } = flinkJvm(context, 'JM');
    return {
      name: 'jobmanager',
      argv: [
        'java',
        ...jvm,
        'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint',
        '--configDir',
        context.flinkConfDir,
        '--executionMode',
        'cluster',
        ...dynamic,
      ],
      env: flinkEnv(context),
      priority: priority.jobManager,
      stopWaitSeconds: 30,
    };
  },
  probe: async (_paths, endpoints) => {
    const overview = await askJobManager(endpoints, (flink) => flink.overview());
    if (!overview) return { healthy: false, detail: 'REST API not answering' };
    return {
      healthy: true,
      detail: `Flink ${overview.flinkVersion}: ${overview.taskManagers} TaskManagers, ${overview.slotsAvailable}/${overview.slotsTotal} slots free, ${overview.jobsRunning} jobs running`,
    };
  },
};

/** The file a TaskManager's launch script writes its resource id to, for its probe. */
export function taskManagerIdFile(paths: StackPaths, name: string): string {
  return path.join(paths.runtime, `${name}.resource-id`);
}

/** The resource id the TaskManager `name` registered under at its latest start. */
export function taskManagerResourceId(paths: StackPaths, name: string): string | undefined {
  const file = taskManagerIdFile(paths, name);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

/**
 * The TaskManager with index `index` (1-based). Its Flink resource id is its component name plus a
 * suffix new at every start (the launch script draws it, so supervisord's restarts get one too), as
 * Flink's own default has: a restarted TaskManager must not register under the id of the one that
 * died, or the JobManager, which still holds the dead one's slots until the heartbeat times out,
 * deploys the restarting job onto them again and again.
 */
export function taskManager(index: number): ComponentSpec {
  const name = `taskmanager-${index}`;
  const [promFirst] = platform.ports.prometheusTaskManagerRange.split('-').map(Number);
  const promPort = (promFirst ?? 9251) + index - 1;
  return {
    name,
    ports: () => [promPort],
    startupTimeoutMs: 90_000,
    program: (context) => {
      const { jvm, dynamic } = flinkJvm(context, 'TM');
      const idFile = taskManagerIdFile(context.paths, name);
      return {
        name,
        prelude: [
          `resource_id="${name}-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \\n')"`,
          `echo "$resource_id" > ${JSON.stringify(idFile)}`,
        ],
        argv: [
          'java',
          ...jvm,
          'org.apache.flink.runtime.taskexecutor.TaskManagerRunner',
          '--configDir',
          context.flinkConfDir,
          { shell: '"-Dtaskmanager.resource-id=$resource_id"' },
          `-Dmetrics.reporter.prom.port=${promPort}`,
          ...dynamic,
        ],
        env: flinkEnv(context),
        priority: priority.taskManager,
        stopWaitSeconds: 30,
      };
    },
    probe: async (paths, endpoints) => {
      const resourceId = taskManagerResourceId(paths, name);
      const list = await askJobManager(endpoints, (flink) => flink.taskManagers());
      const entry = list?.find((tm) => tm.id === resourceId);
      return entry
        ? {
            healthy: true,
            detail: `registered as ${resourceId}, ${entry.freeSlots}/${entry.slots} slots free, metrics :${promPort}`,
          }
        : {
            healthy: false,
            detail: list ? 'not registered with the JobManager' : 'JobManager not answering',
          };
    },
  };
}

const sqlGateway: ComponentSpec = {
  name: 'sql-gateway',
  ports: (endpoints) => [portOf(endpoints.sqlGatewayUrl), platform.ports.prometheusSqlGateway],
  startupTimeoutMs: 90_000,
  program: (context) => ({
    name: 'sql-gateway',
    argv: [
      'java',
      '-Xms256m',
      '-Xmx768m',
      ...flinkJvmBase(context),
      'org.apache.flink.table.gateway.SqlGateway',
      `-Dmetrics.reporter.prom.port=${platform.ports.prometheusSqlGateway}`,
    ],
    env: flinkEnv(context),
    priority: priority.gateway,
    stopWaitSeconds: 30,
  }),
  probe: async (_paths, endpoints) => {
    const info = await getJson<{ productName: string; version: string }>(
      `${endpoints.sqlGatewayUrl}/v1/info`,
    );
    return info
      ? { healthy: true, detail: `${info.productName} ${info.version}` }
      : { healthy: false, detail: 'not answering' };
  },
};

/**
 * The reconciler: a supervisord event listener that, when the JobManager is started again (after a
 * crash, a kill or local:down/up), brings every job the control plane manages back from its latest
 * checkpoint, as the ECS deployment's EventBridge rule on the JobManager task does with the reconcile
 * Lambda. It has no port; supervisord's state is its health.
 */
const reconciler: ComponentSpec = {
  name: 'reconciler',
  ports: () => [],
  startupTimeoutMs: 30_000,
  program: () => ({
    name: 'reconciler',
    argv: [
      path.join(repoRoot, 'node_modules', '.bin', 'tsx'),
      path.join(repoRoot, 'local', 'src', 'control-plane', 'reconcile-listener.ts'),
    ],
    events: ['PROCESS_STATE_RUNNING'],
    priority: 900,
    stopWaitSeconds: 10,
  }),
  probe: async () => ({ healthy: true, detail: 'reconciles managed jobs when the JobManager (re)starts' }),
};

/** All components in start order: storage and Kafka first, then the Flink cluster, then the gateway. */
export function stackComponents(endpoints: LocalEndpoints): ComponentSpec[] {
  const taskManagers = Array.from({ length: endpoints.taskManagers }, (_, i) => taskManager(i + 1));
  return [minio, dynamodb, kafka, jobManager, ...taskManagers, sqlGateway, reconciler];
}
