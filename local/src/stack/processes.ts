import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { logFile, type StackPaths } from './paths.js';

/** What the stack records of a process it started, so it stops only its own processes. */
export interface ProcessRecord {
  readonly component: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly logFile: string;
  /** The id the process registered under, where it has one (a TaskManager's Flink resource id). */
  readonly instance?: string;
}

export type ProcessTable = Record<string, ProcessRecord>;

export function readProcessTable(paths: StackPaths): ProcessTable {
  if (!existsSync(paths.state)) return {};
  return JSON.parse(readFileSync(paths.state, 'utf8')) as ProcessTable;
}

function writeProcessTable(paths: StackPaths, table: ProcessTable): void {
  mkdirSync(path.dirname(paths.state), { recursive: true });
  writeFileSync(paths.state, `${JSON.stringify(table, null, 2)}\n`);
}

export function recordProcess(paths: StackPaths, record: ProcessRecord): void {
  writeProcessTable(paths, { ...readProcessTable(paths), [record.component]: record });
}

export function forgetProcess(paths: StackPaths, component: string): void {
  const { [component]: _removed, ...rest } = readProcessTable(paths);
  writeProcessTable(paths, rest);
}

/**
 * True when `pid` is alive and is still the process we started: a recycled pid running something
 * else (its start time after our record) does not count.
 */
export function isRunning(record: ProcessRecord | undefined): boolean {
  if (!record) return false;
  try {
    process.kill(record.pid, 0);
  } catch {
    return false;
  }
  const stat = safeRead(`/proc/${record.pid}/stat`);
  if (stat?.split(') ')[1]?.startsWith('Z')) return false;
  const cmdline = safeRead(`/proc/${record.pid}/cmdline`);
  return (
    cmdline === undefined ||
    cmdline.includes('java') ||
    cmdline.includes('python') ||
    cmdline.includes('moto')
  );
}

function safeRead(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Starts a detached process whose stdout and stderr go to the component's log file, and records it. */
export function startProcess(
  paths: StackPaths,
  component: string,
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; instance?: string } = {},
): ProcessRecord {
  mkdirSync(paths.logs, { recursive: true });
  const file = logFile(paths, component);
  const fd = openSync(file, 'a');
  writeFileSync(
    fd,
    `\n==== ${new Date().toISOString()} starting ${component}: ${command} ${args.join(' ').slice(0, 400)}\n`,
  );
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', fd, fd],
    env: { ...process.env, ...options.env },
  });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${component} (${command})`);
  const record: ProcessRecord = {
    component,
    pid: child.pid,
    startedAt: new Date().toISOString(),
    logFile: file,
    ...(options.instance ? { instance: options.instance } : {}),
  };
  recordProcess(paths, record);
  return record;
}

/** Stops a recorded process: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopProcess(record: ProcessRecord, graceMs = 15_000): Promise<void> {
  if (!isRunning(record)) return;
  signal(record.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && isRunning(record)) await new Promise((resolve) => setTimeout(resolve, 200));
  if (isRunning(record)) signal(record.pid, 'SIGKILL');
  while (isRunning(record)) await new Promise((resolve) => setTimeout(resolve, 100));
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    // The process leads its own group (detached), so the group gets the signal, children included.
    process.kill(-pid, name);
  } catch {
    try {
      process.kill(pid, name);
    } catch {
      /* already gone */
    }
  }
}

/** Last lines of a log file, for error messages. */
export function tailLog(file: string, lines = 12): string {
  const text = safeRead(file) ?? '';
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The process listening on a TCP port on this machine, if any: pid and command, from `ss`. */
export function portOwner(port: number): { pid?: number; command?: string } | undefined {
  const result = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  if (result.error || !result.stdout.trim()) return undefined;
  const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(result.stdout);
  return match ? { command: match[1], pid: Number(match[2]) } : {};
}
