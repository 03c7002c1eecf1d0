import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** The process listening on a TCP port on this machine, if any: pid and command, from `ss`. */
export function portOwner(port: number): { pid?: number; command?: string | undefined } | undefined {
  const result = spawnSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  if (result.error || !result.stdout.trim()) return undefined;
  const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(result.stdout);
  return match ? { command: match[1], pid: Number(match[2]) } : {};
}

/** Last lines of a log file, for error messages. */
export function tailLog(file: string, lines = 12): string {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return '(no log yet)';
  }
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
