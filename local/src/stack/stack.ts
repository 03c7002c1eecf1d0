import { rmSync } from 'node:fs';
import { type LocalEndpoints, parseLocalEndpoints } from '@apphub/platform';
import { ensureStorage, ensureTopics } from './bootstrap.js';
import { getJson, localAwsClients, localKafka } from './clients.js';
import { type ComponentSpec, type FlinkOverview, type LaunchContext, stackComponents } from './components.js';
import { writeFlinkConf } from './config-files.js';
import { StackComponentUnhealthyError, StackPortInUseError } from './errors.js';
import { ensureJars, ensureLoopbackReporter, ensurePythonEnv } from './installer.js';
import { logFile, type StackPaths, stackPaths } from './paths.js';
import { checkPrerequisites } from './prerequisites.js';
import { forgetProcess, isRunning, portOwner, readProcessTable, stopProcess, tailLog } from './processes.js';
import { createProgress, type Progress, waitUntil } from './progress.js';

/** One row of `local:status`. */
export interface ComponentStatus {
  readonly component: string;
  readonly pid: number | null;
  readonly port: number;
  readonly running: boolean;
  readonly healthy: boolean;
  readonly detail: string;
  readonly log: string;
}

export interface StackStatus {
  readonly healthy: boolean;
  readonly components: readonly ComponentStatus[];
  readonly flink: {
    taskManagers: number;
    slotsTotal: number;
    slotsAvailable: number;
    runningJobs: number;
  } | null;
}

export interface StackOptions {
  readonly paths?: StackPaths;
  readonly endpoints?: LocalEndpoints;
  readonly progress?: Progress;
}

function resolve(options: StackOptions) {
  return {
    paths: options.paths ?? stackPaths(),
    endpoints: options.endpoints ?? parseLocalEndpoints(),
    progress: options.progress ?? createProgress(),
  };
}

/** Installs what is missing, then starts every component that is not already running and healthy. */
export async function stackUp(
  options: StackOptions & { only?: readonly string[] } = {},
): Promise<StackStatus> {
  const { paths, endpoints, progress } = resolve(options);
  checkPrerequisites();
  const [flinkJars, kafkaJars, python] = await Promise.all([
    ensureJars(paths, 'flink', progress),
    ensureJars(paths, 'kafka', progress),
    ensurePythonEnv(paths, progress),
  ]);
  const reporterJar = await ensureLoopbackReporter(paths, flinkJars, progress);
  const context: LaunchContext = {
    paths,
    endpoints,
    flinkClasspath: [...flinkJars, reporterJar].join(':'),
    kafkaClasspath: kafkaJars.join(':'),
    python,
    flinkConfDir: writeFlinkConf(paths, endpoints),
  };
  const components = stackComponents(endpoints).filter((c) => !options.only || options.only.includes(c.name));
  const byName = (name: string) => components.filter((c) => c.name === name || c.name.startsWith(`${name}-`));
  // Storage and Kafka and the JobManager start side by side; TaskManagers need the JobManager; the gateway comes last.
  await Promise.all(
    [...byName('aws'), ...byName('kafka'), ...byName('jobmanager')].map((c) =>
      ensureComponent(c, context, progress),
    ),
  );
  await Promise.all(byName('taskmanager').map((c) => ensureComponent(c, context, progress)));
  await Promise.all(byName('sql-gateway').map((c) => ensureComponent(c, context, progress)));

  if (byName('kafka').length > 0) await ensureTopics(localKafka(endpoints), progress);
  if (byName('aws').length > 0) await ensureStorage(localAwsClients(endpoints), progress);
  return stackStatus({ paths, endpoints });
}

async function ensureComponent(
  component: ComponentSpec,
  context: LaunchContext,
  progress: Progress,
): Promise<void> {
  const { paths, endpoints } = context;
  const record = readProcessTable(paths)[component.name];
  if (isRunning(record)) {
    const probe = await component.probe(paths, endpoints, record);
    if (probe.healthy) {
      progress.step(`${component.name} already running (pid ${record?.pid})`);
      return;
    }
    // Ours but not healthy: it may still be starting, so wait for it rather than start a duplicate.
  } else {
    for (const port of component.ports(endpoints)) {
      const owner = portOwner(port);
      if (owner) {
        const who = owner.pid ? `pid ${owner.pid} (${owner.command})` : 'another process';
        throw new StackPortInUseError(
          `port ${port} needed by ${component.name} is already in use by ${who}; stop it or change the port (see README, Local stack)`,
        );
      }
    }
    progress.step(`starting ${component.name}`);
    await component.launch(context);
  }
  const started = readProcessTable(paths)[component.name];
  const healthy = await waitUntil(
    component.name,
    async () => (await component.probe(paths, endpoints, started)).healthy,
    {
      timeoutMs: component.startupTimeoutMs,
      progress,
      isAlive: () => isRunning(started),
    },
  );
  if (!healthy) {
    const file = logFile(paths, component.name);
    const reason = isRunning(started)
      ? `did not become healthy within ${component.startupTimeoutMs / 1000}s`
      : 'exited';
    throw new StackComponentUnhealthyError(
      `${component.name} ${reason}; log ${file}, last lines:\n${tailLog(file)}`,
    );
  }
  progress.step(`${component.name} healthy (pid ${started?.pid})`);
}

/** Stops the processes this stack recorded (and only those); deletes state and logs with `purge`. */
export async function stackDown(
  options: StackOptions & { purge?: boolean; only?: readonly string[] } = {},
): Promise<void> {
  const { paths, progress } = resolve(options);
  const table = readProcessTable(paths);
  // Reverse start order: the gateway and TaskManagers before the JobManager, Kafka and storage last.
  const order = ['sql-gateway', 'taskmanager', 'jobmanager', 'kafka', 'aws'];
  const rank = (name: string) =>
    order.findIndex((prefix) => name === prefix || name.startsWith(`${prefix}-`));
  const records = Object.values(table)
    .filter((record) => !options.only || options.only.includes(record.component))
    .sort((a, b) => rank(a.component) - rank(b.component));
  for (const record of records) {
    if (isRunning(record)) {
      progress.step(`stopping ${record.component} (pid ${record.pid})`);
      await stopProcess(record);
    }
    forgetProcess(paths, record.component);
  }
  if (options.purge) {
    rmSync(paths.stack, { recursive: true, force: true });
    progress.step(`purged ${paths.stack}`);
  }
}

/** Health of every component, read from recorded processes and the components' own endpoints. */
export async function stackStatus(options: StackOptions = {}): Promise<StackStatus> {
  const { paths, endpoints } = resolve(options);
  const table = readProcessTable(paths);
  const components = await Promise.all(
    stackComponents(endpoints).map(async (component): Promise<ComponentStatus> => {
      const record = table[component.name];
      const running = isRunning(record);
      const probe = running
        ? await component.probe(paths, endpoints, record)
        : { healthy: false, detail: record ? 'process not running' : 'not started' };
      return {
        component: component.name,
        pid: running ? (record?.pid ?? null) : null,
        port: component.ports(endpoints)[0] ?? 0,
        running,
        healthy: running && probe.healthy,
        detail: probe.detail,
        log: logFile(paths, component.name),
      };
    }),
  );
  const overview = await getJson<FlinkOverview>(`${endpoints.flinkRestUrl}/overview`);
  return {
    healthy: components.every((component) => component.healthy),
    components,
    flink: overview
      ? {
          taskManagers: overview.taskmanagers,
          slotsTotal: overview['slots-total'],
          slotsAvailable: overview['slots-available'],
          runningJobs: overview['jobs-running'],
        }
      : null,
  };
}
