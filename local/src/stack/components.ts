import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { type LocalEndpoints, platform } from '@apphub/platform';
import { getJson, localKafka } from './clients.js';
import { kafkaClusterId, writeKafkaConf } from './config-files.js';
import { flinkResourceParams, java17ModuleFlags } from './java.js';
import { repoRoot, type StackPaths } from './paths.js';
import { type ProcessRecord, startProcess } from './processes.js';

/** Everything a component needs to start: resolved classpaths, the venv and the written config. */
export interface LaunchContext {
  readonly paths: StackPaths;
  readonly endpoints: LocalEndpoints;
  readonly flinkClasspath: string;
  readonly kafkaClasspath: string;
  readonly python: string;
  readonly flinkConfDir: string;
}

export interface Probe {
  readonly healthy: boolean;
  readonly detail: string;
}

/** One process of the stack: how to start it, which ports it takes, how to tell it is healthy. */
export interface ComponentSpec {
  readonly name: string;
  /** Ports it listens on; they must be free (or ours) before it starts. */
  ports(endpoints: LocalEndpoints): readonly number[];
  readonly startupTimeoutMs: number;
  launch(context: LaunchContext): ProcessRecord | Promise<ProcessRecord>;
  /** Health from the component's own endpoint; `record` is the process the stack recorded for it. */
  probe(paths: StackPaths, endpoints: LocalEndpoints, record: ProcessRecord | undefined): Promise<Probe>;
}

/** JobManager /overview, as the status table and the TaskManager probes read it. */
export interface FlinkOverview {
  taskmanagers: number;
  'slots-total': number;
  'slots-available': number;
  'jobs-running': number;
  'flink-version': string;
}

const execFileAsync = promisify(execFile);

function portOf(url: string): number {
  return Number(new URL(url).port);
}

const awsEndpoint: ComponentSpec = {
  name: 'aws',
  ports: (endpoints) => [portOf(endpoints.awsEndpointUrl)],
  startupTimeoutMs: 60_000,
  // local/moto/serve.py: moto's app behind a lock, so conditional writes are atomic as in DynamoDB.
  launch: ({ paths, endpoints, python }) =>
    startProcess(paths, 'aws', python, [
      path.join(repoRoot, 'local', 'moto', 'serve.py'),
      '-H',
      '127.0.0.1',
      '-p',
      String(portOf(endpoints.awsEndpointUrl)),
      '--state',
      paths.awsState,
    ]),
  probe: async (_paths, endpoints) => {
    const ok = await fetch(`${endpoints.awsEndpointUrl}/moto-api/`, {
      signal: AbortSignal.timeout(3_000),
    }).then(
      (response) => response.ok,
      () => false,
    );
    return { healthy: ok, detail: ok ? `S3 + DynamoDB (moto ${platform.versions.moto})` : 'not answering' };
  },
};

const kafka: ComponentSpec = {
  name: 'kafka',
  ports: (endpoints) => [Number(endpoints.brokers[0]?.split(':')[1]), platform.ports.kafkaController],
  startupTimeoutMs: 90_000,
  launch: async ({ paths, endpoints, kafkaClasspath }) => {
    const { serverProperties, log4j } = writeKafkaConf(paths, endpoints);
    const jvm = ['-Xms256m', '-Xmx768m', `-Dlog4j2.configurationFile=${log4j}`, '-cp', kafkaClasspath];
    if (!existsSync(path.join(paths.kafkaData, 'meta.properties'))) {
      // KRaft refuses to start on unformatted storage ("No readable meta.properties").
      await execFileAsync('java', [
        ...jvm,
        'kafka.tools.StorageTool',
        'format',
        '--standalone',
        // '=' keeps an id that starts with '-' (ids stored by older versions) from reading as an option.
        `--cluster-id=${kafkaClusterId(paths)}`,
        '-c',
        serverProperties,
      ]);
    }
    return startProcess(paths, 'kafka', 'java', [...jvm, 'kafka.Kafka', serverProperties]);
  },
  probe: async (_paths, endpoints) => {
    const admin = localKafka(endpoints, 'apphub-status').admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      const topics = await admin.listTopics();
      const wanted = Object.values(platform.topics);
      const present = wanted.filter((topic) => topics.includes(topic.name)).length;
      return {
        healthy: cluster.brokers.length > 0,
        detail: `${cluster.brokers.length} broker, ${present}/${wanted.length} streaming topics`,
      };
    } catch (error) {
      return { healthy: false, detail: error instanceof Error ? error.message : String(error) };
    } finally {
      await admin.disconnect().catch(() => undefined);
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
  launch: (context) => {
    const { jvm, dynamic } = flinkJvm(context, 'JM');
    return startProcess(context.paths, 'jobmanager', 'java', [
      ...jvm,
      'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint',
      '--configDir',
      context.flinkConfDir,
      '--executionMode',
      'cluster',
      ...dynamic,
    ]);
  },
  probe: async (_paths, endpoints) => {
    const overview = await getJson<FlinkOverview>(`${endpoints.flinkRestUrl}/overview`);
    if (!overview) return { healthy: false, detail: 'REST API not answering' };
    return {
      healthy: true,
      detail: `Flink ${overview['flink-version']}: ${overview.taskmanagers} TaskManagers, ${overview['slots-available']}/${overview['slots-total']} slots free, ${overview['jobs-running']} jobs running`,
    };
  },
};

/**
 * The TaskManager with index `index` (1-based). Its Flink resource id is its component name plus a
 * suffix new at every start, as Flink's own default has: a restarted TaskManager must not register
 * under the id of the one that died, or the JobManager, which still holds the dead one's slots until
 * the heartbeat times out, deploys the restarting job onto them again and again.
 */
export function taskManager(index: number): ComponentSpec {
  const name = `taskmanager-${index}`;
  const [promFirst] = platform.ports.prometheusTaskManagerRange.split('-').map(Number);
  const promPort = (promFirst ?? 9251) + index - 1;
  return {
    name,
    ports: () => [promPort],
    startupTimeoutMs: 90_000,
    launch: (context) => {
      const { jvm, dynamic } = flinkJvm(context, 'TM');
      const resourceId = `${name}-${randomBytes(3).toString('hex')}`;
      return startProcess(
        context.paths,
        name,
        'java',
        [
          ...jvm,
          'org.apache.flink.runtime.taskexecutor.TaskManagerRunner',
          '--configDir',
          context.flinkConfDir,
          `-Dtaskmanager.resource-id=${resourceId}`,
          `-Dmetrics.reporter.prom.port=${promPort}`,
          ...dynamic,
        ],
        { instance: resourceId },
      );
    },
    probe: async (_paths, endpoints, record) => {
      const resourceId = record?.instance;
      const list = await getJson<{ taskmanagers: { id: string; freeSlots: number; slotsNumber: number }[] }>(
        `${endpoints.flinkRestUrl}/taskmanagers`,
      );
      const entry = list?.taskmanagers.find((tm) => tm.id === resourceId);
      return entry
        ? {
            healthy: true,
            detail: `registered as ${resourceId}, ${entry.freeSlots}/${entry.slotsNumber} slots free, metrics :${promPort}`,
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
  launch: (context) => {
    return startProcess(
      context.paths,
      'sql-gateway',
      'java',
      [
        '-Xms256m',
        '-Xmx768m',
        ...flinkJvmBase(context),
        'org.apache.flink.table.gateway.SqlGateway',
        `-Dmetrics.reporter.prom.port=${platform.ports.prometheusSqlGateway}`,
      ],
      { env: { FLINK_CONF_DIR: context.flinkConfDir } },
    );
  },
  probe: async (_paths, endpoints) => {
    const info = await getJson<{ productName: string; version: string }>(
      `${endpoints.sqlGatewayUrl}/v1/info`,
    );
    return info
      ? { healthy: true, detail: `${info.productName} ${info.version}` }
      : { healthy: false, detail: 'not answering' };
  },
};

/** All components in start order: storage and Kafka first, then the Flink cluster, then the gateway. */
export function stackComponents(endpoints: LocalEndpoints): ComponentSpec[] {
  const taskManagers = Array.from({ length: endpoints.taskManagers }, (_, i) => taskManager(i + 1));
  return [awsEndpoint, kafka, jobManager, ...taskManagers, sqlGateway];
}
