import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HandlerChildResult } from './handler-child.js';

const childScript = fileURLToPath(new URL('./handler-child.ts', import.meta.url));

/**
 * Runs bench/handler-child.ts in a fresh Node process (with tsx, as this one runs) and returns what
 * it reports. Its stdout, where the handler writes logs and metrics as in Lambda, is discarded.
 */
export function runHandlerChild(args: readonly string[]): Promise<HandlerChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(childScript, [...args], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let result: HandlerChildResult | undefined;
    child.on('message', (message) => {
      result = message as HandlerChildResult;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (result && code === 0) resolve(result);
      else reject(new Error(`the handler bench process (${args.join(' ')}) exited with ${code}`));
    });
  });
}

/** The median of `values` (at least one). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The `fraction` (0..1) quantile of `values`, nearest rank. */
export function quantile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}
