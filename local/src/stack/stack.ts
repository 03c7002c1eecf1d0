import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type LocalEndpoints, parseLocalEndpoints } from '@apphub/platform';
import { ensureStorage, ensureTopics } from './bootstrap.js';
import { localAwsClients } from './clients.js';
import {
  askJobManager,
  type ComponentSpec,
  type LaunchContext,
  stackComponents,
  taskManagerResourceId,
} from './components.js';
import { writeFlinkConf } from './config-files.js';
import { StackComponentUnhealthyError, StackPortInUseError, StackStreamingDisabledError } from './errors.js';
import {
  ensureFlinkPlugins,
  ensureJars,
  ensureJavaLibraries,
  ensureMinio,
  ensurePythonEnv,
} from './installer.js';
import { logFile, type StackPaths, stackPaths } from './paths.js';
import { portOwner, tailLog } from './ports.js';
import { checkPrerequisites } from './prerequisites.js';
import { createProgress, type Progress, waitUntil } from './progress.js';
import { decideStreaming } from './streaming-flag.js';
import {
  ensureSupervisord,
  type ProgramState,
  programStates,
  shutdownSupervisord,
  startProgram,
  stopPrograms,
  writeSupervisorConfig,
} from './supervisor.js';
import { ensureKafkaTls } from './tls.js';

/** One row of `local:status`. */
export interface ComponentStatus {
  readonly component: string;
  readonly pid: number | null;
  /** The first port it listens on; 0 for a component without one. */
  readonly port: number;
  /** supervisord's state of the process: RUNNING, STARTING, BACKOFF, STOPPED, EXITED, FATAL. */
  readonly state: string;
  readonly running: boolean;
  readonly healthy: boolean;
  readonly detail: string;
  readonly log: string;
}

export interface StackStatus {
  readonly healthy: boolean;
  /** False when supervisord does not run: nothing of the stack does. */
  readonly supervised: boolean;
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
  readonly progress?: Progress | undefined;
}

function resolve(options: StackOptions) {
  const paths = options.paths ?? stackPaths();
  return {
    paths,
    endpoints: options.endpoints ?? withRescaledTaskManagers(paths, parseLocalEndpoints()),
    progress: options.progress ?? createProgress(),
  };
}

function taskManagerCountFile(paths: StackPaths): string {
  return path.join(paths.runtime, 'taskmanager-count');
}

/**
 * Records the TaskManager count a rescale chose (npm run flink -- rescale), so a later local:up keeps
 * it instead of going back to APPHUB_FLINK_TASKMANAGERS and taking slots from running jobs.
 */
export function recordTaskManagerCount(paths: StackPaths, count: number, configured: number): void {
  // Back at the configured count there is nothing to remember: APPHUB_FLINK_TASKMANAGERS decides again.
  if (count === configured) {
    rmSync(taskManagerCountFile(paths), { force: true });
    return;
  }
  mkdirSync(paths.runtime, { recursive: true });
  writeFileSync(taskManagerCountFile(paths), `${count}\n`);
}

/** The endpoints with the TaskManager count of the latest rescale, when there was one. */
function withRescaledTaskManagers(paths: StackPaths, endpoints: LocalEndpoints): LocalEndpoints {
  const file = taskManagerCountFile(paths);
  if (!existsSync(file)) return endpoints;
  const count = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(count) && count > 0 ? { ...endpoints, taskManagers: count } : endpoints;
}

/** Installs what is missing, prepares the launch context, and writes supervisord's configuration. */
async function prepareLaunch(paths: StackPaths, endpoints: LocalEndpoints, progress: Progress) {
  checkPrerequisites();
  const [flinkJars, kafkaJars, python, flinkPluginsDir, minio] = await Promise.all([
    ensureJars(paths, 'flink', progress),
    ensureJars(paths, 'kafka', progress),
    ensurePythonEnv(paths, progress),
    ensureFlinkPlugins(paths, progress),
    ensureMinio(paths, progress),
  ]);
  const libraryJars = await ensureJavaLibraries(paths, flinkJars, progress);
  await ensureKafkaTls(paths, progress);
  const context: LaunchContext = {
    paths,
    endpoints,
    flinkClasspath: [...flinkJars, ...libraryJars].join(':'),
    kafkaClasspath: kafkaJars.join(':'),
    python,
    minio,
    flinkConfDir: writeFlinkConf(paths, endpoints),
    flinkPluginsDir,
  };
  const components = stackComponents(endpoints);
  writeSupervisorConfig(
    paths,
    components.map((component) => component.program(context)),
  );
  return { context, components };
}

/**
 * Installs what is missing, starts supervisord, then starts every component that is not already
 * running and healthy, in dependency order, waiting for each to be healthy. Components that die later
 * are restarted by supervisord. With APPHUB_STREAMING_ENABLED=0 it throws StackStreamingDisabledError
 * before installing, writing or starting anything.
 */
export async function stackUp(
  options: StackOptions & { only?: readonly string[] } = {},
): Promise<StackStatus> {
  const { paths, endpoints, progress } = resolve(options);
  const decision = decideStreaming(endpoints, 'local:up');
  if (!decision.start) throw new StackStreamingDisabledError(decision.message);
  const { context, components } = await prepareLaunch(paths, endpoints, progress);
  await ensureSupervisord(paths);
  const wanted = components.filter((c) => !options.only || options.only.includes(c.name));
  const byName = (name: string) => wanted.filter((c) => c.name === name || c.name.startsWith(`${name}-`));
  // Storage, Kafka and the JobManager start side by side; TaskManagers need the JobManager; the gateway comes last.
  const groups = [
    [...byName('minio'), ...byName('dynamodb'), ...byName('kafka'), ...byName('jobmanager')],
    byName('taskmanager'),
    byName('sql-gateway'),
    byName('reconciler'),
  ];
  for (const [index, group] of groups.entries()) {
    const states = await programStates(paths);
    await Promise.all(group.map((c) => ensureComponent(c, context, states.get(c.name), progress)));
    // Topics, buckets and tables exist before anything that uses them starts (the reconciler acts as
    // soon as the TaskManagers register).
    if (index > 0) continue;
    if (byName('kafka').length > 0) await ensureTopics(endpoints, progress);
    if (byName('minio').length > 0 || byName('dynamodb').length > 0) {
      await ensureStorage(localAwsClients(endpoints), progress);
    }
  }
  return stackStatus({ paths, endpoints });
}

async function ensureComponent(
  component: ComponentSpec,
  context: LaunchContext,
  state: ProgramState | undefined,
  progress: Progress,
): Promise<void> {
  const { paths, endpoints } = context;
  const active = state?.state === 'RUNNING' || state?.state === 'STARTING' || state?.state === 'BACKOFF';
  if (state?.state === 'RUNNING' && (await component.probe(paths, endpoints)).healthy) {
    progress.step(`${component.name} already running (pid ${state.pid})`);
    return;
  }
  if (!active) {
    const ours = new Set([state?.pid].filter((pid) => pid !== undefined));
    for (const port of component.ports(endpoints)) {
      const owner = portOwner(port);
      if (owner && !(owner.pid !== undefined && ours.has(owner.pid))) {
        const who = owner.pid ? `pid ${owner.pid} (${owner.command})` : 'another process';
        throw new StackPortInUseError(
          `port ${port} needed by ${component.name} is already in use by ${who}; stop it or change the port (see README, Local stack)`,
        );
      }
    }
    await component.prepare?.(context);
    progress.step(`starting ${component.name}`);
    await startProgram(paths, component.name);
  }
  // Started, or ours and still starting: wait for health rather than start a duplicate.
  const healthy = await waitUntil(
    component.name,
    async () => (await component.probe(paths, endpoints)).healthy,
    { timeoutMs: component.startupTimeoutMs, progress },
  );
  const now = (await programStates(paths)).get(component.name);
  if (!healthy) {
    const file = logFile(paths, component.name);
    const reason =
      now?.state === 'RUNNING'
        ? `did not become healthy within ${component.startupTimeoutMs / 1000}s`
        : `is ${now?.state ?? 'not known to supervisord'} (${now?.description ?? ''})`;
    throw new StackComponentUnhealthyError(
      `${component.name} ${reason}; log ${file}, last lines:\n${tailLog(file)}`,
    );
  }
  progress.step(`${component.name} healthy (pid ${now?.pid})`);
}

/**
 * Stops the stack through supervisord: every component in reverse start order, each within its stop
 * deadline, then supervisord itself. No pid is ever read from a file and signalled, so a recycled pid
 * cannot be hit. `only` stops just those components; `purge` also deletes state and logs.
 */
export async function stackDown(
  options: StackOptions & { purge?: boolean; only?: readonly string[] } = {},
): Promise<void> {
  const { paths, endpoints, progress } = resolve(options);
  if (options.only) {
    progress.step(`stopping ${options.only.join(', ')}`);
    await stopPrograms(paths, options.only);
  } else {
    const running = [...(await programStates(paths)).values()].filter((p) => p.pid !== undefined);
    if (running.length > 0) progress.step(`stopping ${running.map((p) => p.name).join(', ')}`);
    // Each program stops within its own deadline, one after another; supervisord then exits.
    const deadlineMs = stackComponents(endpoints).length * 60_000 + 30_000;
    await shutdownSupervisord(paths, deadlineMs);
  }
  if (options.purge) {
    rmSync(paths.stack, { recursive: true, force: true });
    progress.step(`purged ${paths.stack}`);
  }
}

/** Health of every component: supervisord's view of its process, and the component's own endpoint. */
export async function stackStatus(options: StackOptions = {}): Promise<StackStatus> {
  const { paths, endpoints } = resolve(options);
  const states = await programStates(paths);
  const components = await Promise.all(
    stackComponents(endpoints).map(async (component): Promise<ComponentStatus> => {
      const state = states.get(component.name);
      const running = state?.state === 'RUNNING';
      const probe = running
        ? await component.probe(paths, endpoints)
        : { healthy: false, detail: state ? state.description || 'not running' : 'not started' };
      return {
        component: component.name,
        pid: running ? (state?.pid ?? null) : null,
        port: component.ports(endpoints)[0] ?? 0,
        state: state?.state ?? 'ABSENT',
        running,
        healthy: running && probe.healthy,
        detail: probe.detail,
        log: logFile(paths, component.name),
      };
    }),
  );
  const overview = await askJobManager(endpoints, (flink) => flink.overview());
  return {
    healthy: components.every((component) => component.healthy),
    supervised: states.size > 0,
    components,
    flink: overview
      ? {
          taskManagers: overview.taskManagers,
          slotsTotal: overview.slotsTotal,
          slotsAvailable: overview.slotsAvailable,
          runningJobs: overview.jobsRunning,
        }
      : null,
  };
}

/** The running process of one component, as supervisord knows it, and the TaskManager resource id it registered. */
export async function componentProcess(
  name: string,
  paths: StackPaths = stackPaths(),
): Promise<{ pid: number; state: string; resourceId: string | undefined } | undefined> {
  const state = (await programStates(paths)).get(name);
  if (state?.pid === undefined) return undefined;
  return { pid: state.pid, state: state.state, resourceId: taskManagerResourceId(paths, name) };
}
