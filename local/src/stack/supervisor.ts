import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { StackSupervisorError } from './errors.js';
import { logFile, type StackPaths } from './paths.js';

const execFileAsync = promisify(execFile);

/** An argument of a launch script: literal text (quoted for the shell), or shell text expanded at start. */
export type LaunchArgument = string | { readonly shell: string };

/** How supervisord runs one component: a launch script, its place in the start order, its stop deadline. */
export interface ProgramSpec {
  readonly name: string;
  /** Arguments of the process; the launch script `exec`s them, so supervisord's child is the process itself. */
  readonly argv: readonly LaunchArgument[];
  /** Environment added to supervisord's own. */
  readonly env?: Readonly<Record<string, string>>;
  /** Shell lines run before the `exec` (e.g. choosing a fresh TaskManager resource id). */
  readonly prelude?: readonly string[];
  /** Lower starts first and stops last (supervisord's `priority`). */
  readonly priority: number;
  /** How long a stop may take before supervisord kills the process group. */
  readonly stopWaitSeconds: number;
  /** An event listener (supervisord's protocol on stdin/stdout) instead of a plain program. */
  readonly events?: readonly string[];
}

/** supervisord's view of one program. */
export interface ProgramState {
  readonly name: string;
  /** RUNNING, STARTING, BACKOFF, STOPPED, STOPPING, EXITED, FATAL or UNKNOWN. */
  readonly state: string;
  readonly pid: number | undefined;
  readonly description: string;
}

/** `name` in supervisord's ini syntax: our names are [a-z0-9-], so nothing needs escaping. */
function section(program: ProgramSpec): string {
  return program.events ? `eventlistener:${program.name}` : `program:${program.name}`;
}

/** One argument for a POSIX shell: single-quoted, with embedded quotes closed and reopened. */
export function shellQuote(argument: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(argument) ? argument : `'${argument.replaceAll("'", `'\\''`)}'`;
}

function launcherPath(paths: StackPaths, name: string): string {
  return path.join(paths.launchers, `${name}.sh`);
}

/**
 * Writes supervisord's configuration and one launch script per program. Every program restarts when
 * it dies (autorestart, as ECS replaces a stopped task), stops with SIGTERM to its whole process group
 * and is killed after its deadline, and logs to .local/logs/<name>.log. Programs do not start with
 * supervisord: `local:up` starts them in dependency order and waits for each to be healthy; only event
 * listeners start with it.
 */
export function writeSupervisorConfig(paths: StackPaths, programs: readonly ProgramSpec[]): void {
  for (const directory of [paths.supervisor, paths.launchers, paths.logs, paths.runtime]) {
    mkdirSync(directory, { recursive: true });
  }
  const lines = [
    '; Written by local:up (local/src/stack/supervisor.ts) at every start; edits are overwritten.',
    '[unix_http_server]',
    `file=${paths.supervisorSocket}`,
    'chmod=0700',
    '',
    '[supervisord]',
    `logfile=${logFile(paths, 'supervisord')}`,
    'logfile_maxbytes=10MB',
    `pidfile=${path.join(paths.supervisor, 'supervisord.pid')}`,
    `childlogdir=${paths.logs}`,
    'identifier=apphub-streaming',
    '',
    '[rpcinterface:supervisor]',
    'supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface',
    '',
    '[supervisorctl]',
    `serverurl=unix://${paths.supervisorSocket}`,
    '',
  ];
  for (const program of programs) {
    const script = launcherPath(paths, program.name);
    writeFileSync(
      script,
      [
        '#!/usr/bin/env bash',
        `# ${program.name}: written by local:up; supervisord runs it (see ${paths.supervisorConf}).`,
        'set -euo pipefail',
        ...Object.entries(program.env ?? {}).map(([key, value]) => `export ${key}=${shellQuote(value)}`),
        ...(program.prelude ?? []),
        `exec ${program.argv.map((arg) => (typeof arg === 'string' ? shellQuote(arg) : arg.shell)).join(' ')}`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
    const log = logFile(paths, program.name);
    lines.push(
      `[${section(program)}]`,
      `command=${script}`,
      `directory=${paths.stack}`,
      `priority=${program.priority}`,
      `autostart=${program.events ? 'true' : 'false'}`,
      'autorestart=true',
      'startsecs=3',
      'startretries=5',
      'stopsignal=TERM',
      `stopwaitsecs=${program.stopWaitSeconds}`,
      'stopasgroup=true',
      'killasgroup=true',
      ...(program.events
        ? // A listener talks to supervisord on stdout, so only stderr is its log.
          [`events=${program.events.join(',')}`, 'buffer_size=50', `stderr_logfile=${log}`]
        : ['redirect_stderr=true', `stdout_logfile=${log}`]),
      'stdout_logfile_maxbytes=50MB',
      'stdout_logfile_backups=2',
      '',
    );
  }
  writeFileSync(paths.supervisorConf, lines.join('\n'));
}

function supervisorBinary(paths: StackPaths, name: 'supervisord' | 'supervisorctl'): string {
  return path.join(paths.venv, 'bin', name);
}

/** Runs supervisorctl against this stack's socket; never throws for a non-zero exit (status uses them). */
export async function supervisorctl(
  paths: StackPaths,
  args: readonly string[],
): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(
      supervisorBinary(paths, 'supervisorctl'),
      ['-c', paths.supervisorConf, ...args],
      { timeout: 120_000 },
    );
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') {
      throw new StackSupervisorError(`supervisorctl ${args.join(' ')} could not run: ${String(error)}`, {
        cause: error,
      });
    }
    return { code: failed.code, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** True when this stack's supervisord answers on its socket (the socket, not a pid, identifies it). */
export async function supervisordRunning(paths: StackPaths): Promise<boolean> {
  if (!existsSync(paths.supervisorSocket) || !existsSync(paths.supervisorConf)) return false;
  const { code, output } = await supervisorctl(paths, ['pid']);
  return code === 0 && /^\d+\s*$/.test(output);
}

/** Starts supervisord (it daemonizes itself) unless it already runs; then re-reads the configuration. */
export async function ensureSupervisord(paths: StackPaths): Promise<void> {
  if (await supervisordRunning(paths)) {
    // Adds programs that are new in the configuration, removes dropped ones; running ones whose
    // settings are unchanged keep running.
    const { code, output } = await supervisorctl(paths, ['update']);
    if (code !== 0) throw new StackSupervisorError(`supervisorctl update failed: ${output.trim()}`);
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn(supervisorBinary(paths, 'supervisord'), ['-c', paths.supervisorConf], {
      stdio: 'ignore',
      detached: true,
    });
    child.once('error', (error) =>
      reject(new StackSupervisorError(`supervisord could not start: ${error.message}`, { cause: error })),
    );
    child.once('exit', (code) =>
      code === 0
        ? resolve()
        : reject(
            new StackSupervisorError(
              `supervisord exited with code ${code}; see ${logFile(paths, 'supervisord')}`,
            ),
          ),
    );
  });
  const deadline = Date.now() + 20_000;
  while (!(await supervisordRunning(paths))) {
    if (Date.now() > deadline) {
      throw new StackSupervisorError(
        `supervisord did not answer on ${paths.supervisorSocket} within 20s; see ${logFile(paths, 'supervisord')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Every program's state, from `supervisorctl status`; empty when supervisord is not running. */
export async function programStates(paths: StackPaths): Promise<Map<string, ProgramState>> {
  const states = new Map<string, ProgramState>();
  if (!(await supervisordRunning(paths))) return states;
  const { output } = await supervisorctl(paths, ['status']);
  for (const line of output.split('\n')) {
    const match = /^(\S+)\s+([A-Z]+)\s*(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, name, state, description] = match as unknown as [string, string, string, string];
    const pid = /\bpid (\d+),/.exec(description)?.[1];
    states.set(name, { name, state, pid: pid ? Number(pid) : undefined, description: description.trim() });
  }
  return states;
}

/** Starts one program; supervisord reports it started once it stayed up for `startsecs`. */
export async function startProgram(paths: StackPaths, name: string): Promise<void> {
  const { output } = await supervisorctl(paths, ['start', name]);
  if (!/started|already started/.test(output)) {
    throw new StackSupervisorError(`${name} did not start: ${output.trim()}; log ${logFile(paths, name)}`);
  }
}

/** Stops programs, each within its own stop deadline (SIGTERM to the group, SIGKILL after it). */
export async function stopPrograms(paths: StackPaths, names: readonly string[]): Promise<void> {
  if (names.length === 0 || !(await supervisordRunning(paths))) return;
  const { output } = await supervisorctl(paths, ['stop', ...names]);
  // Stopping what is not running, or not configured at all, leaves it as wanted: stopped.
  if (/ERROR(?! \((not running|no such process)\))/.test(output)) {
    throw new StackSupervisorError(`stopping ${names.join(', ')} failed: ${output.trim()}`);
  }
}

/** True while something accepts connections on the unix socket (supervisord removes it when it exits). */
function socketAccepts(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = createConnection({ path: socketPath });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Stops every program in reverse start order and ends supervisord. supervisord stops its programs
 * after it acknowledged the shutdown (and refuses other requests meanwhile), so this waits until its
 * socket no longer accepts connections; `deadlineMs` bounds the wait (the programs' stop deadlines
 * plus some slack).
 */
export async function shutdownSupervisord(paths: StackPaths, deadlineMs: number): Promise<void> {
  if (!(await supervisordRunning(paths))) return;
  await supervisorctl(paths, ['shutdown']);
  const deadline = Date.now() + deadlineMs;
  while (await socketAccepts(paths.supervisorSocket)) {
    if (Date.now() > deadline) {
      throw new StackSupervisorError(
        `supervisord still answers ${Math.round(deadlineMs / 1000)}s after shutdown; see ${logFile(paths, 'supervisord')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
