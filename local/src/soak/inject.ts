import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { FlinkRestClient } from '@apphub/flink';
import { describeError, type LocalEndpoints } from '@apphub/platform';
import type { FailedBatchStore } from '../batcher/index.js';
import { jobTasksRunning } from '../sample/submit.js';
import { componentProcess, repoRoot, stackStatus, waitUntil } from '../stack/index.js';
import { FAULT_SPECS } from './faults.js';
import type { FaultOutcome } from './report.js';
import { fileSize, type SoakRunner, textAfter } from './runner.js';
import type { PlannedFault } from './schedule.js';

const execFileAsync = promisify(execFile);

export interface FaultContext {
  readonly endpoints: LocalEndpoints;
  readonly jobName: string;
  readonly runner: SoakRunner;
  readonly failedBatches: FailedBatchStore;
  /** How long a hang lasts: longer than the clients' request timeouts. */
  readonly hangMs: number;
  /** How long the outage lasts: longer than the mapping's invocations and retries. */
  readonly outageMs: number;
  /** The longest a recovery may take before the fault counts as not recovered. */
  readonly recoveryTimeoutMs: number;
  /** Processes frozen now, so that an interrupted soak can thaw them. */
  readonly frozen: Set<number>;
  readonly say: (line: string) => void;
}

/** The stack whole again: every component healthy, the sample job's tasks all running, the runner alive. */
export async function pipelineWhole(context: FaultContext): Promise<boolean> {
  if (!context.runner.alive()) return false;
  const status = await stackStatus({ endpoints: context.endpoints });
  if (!status.healthy) return false;
  const flink = new FlinkRestClient({ baseUrl: context.endpoints.flinkRestUrl });
  const job = (await flink.jobs()).find((each) => each.name === context.jobName && each.state === 'RUNNING');
  return job !== undefined && (await jobTasksRunning(context.endpoints.flinkRestUrl, job.id));
}

async function waitWhole(context: FaultContext, extra?: () => Promise<boolean>): Promise<boolean> {
  return waitUntil(
    'the stack to recover',
    async () => (extra === undefined || (await extra())) && (await pipelineWhole(context)),
    { timeoutMs: context.recoveryTimeoutMs, intervalMs: 1_000 },
  );
}

/** The fault's own length (a hang, an outage): the one wait the soak does not end on a condition. */
const hold = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** SIGCONT to `pid`, unless it is gone or supervisord's program runs under another pid by now. */
async function thaw(context: FaultContext, name: string, pid: number): Promise<void> {
  context.frozen.delete(pid);
  if ((await componentProcess(name))?.pid !== pid) return;
  process.kill(pid, 'SIGCONT');
}

/** Injects one fault and waits for the stack to come back from it by itself. */
export async function injectFault(context: FaultContext, fault: PlannedFault): Promise<FaultOutcome> {
  const spec = FAULT_SPECS[fault.kind];
  const outcome = (recoveredAt: number | undefined, end: number, detail: string): FaultOutcome => ({
    kind: fault.kind,
    recoveryMs: recoveredAt === undefined ? undefined : recoveredAt - end,
    detail,
  });
  try {
    if (spec.target === 'runner') {
      await context.runner.kill();
      const end = Date.now();
      // As Lambda's poller: the mapping's consumer is started again at once; it resumes from its commits.
      await context.runner.start();
      const log = context.runner.log!;
      const from = fileSize(log);
      const recovered = await waitWhole(context, async () =>
        /\ncommitted /.test(`\n${textAfter(log, from)}`),
      );
      return outcome(recovered ? Date.now() : undefined, end, 'restarted; until it committed a batch');
    }
    const process0 = await componentProcess(spec.target);
    if (process0 === undefined) return outcome(undefined, Date.now(), `${spec.target} was not running`);
    const { pid } = process0;
    if (spec.action === 'kill') {
      process.kill(pid, 'SIGKILL');
      const end = Date.now();
      const recovered = await waitWhole(context, async () => {
        const now = await componentProcess(spec.target);
        return now !== undefined && now.pid !== pid && now.state === 'RUNNING';
      });
      return outcome(
        recovered ? Date.now() : undefined,
        end,
        'until supervisord restarted it and the pipeline ran',
      );
    }
    const failedBefore = new Set(await context.failedBatches.keysAt(context.runner.failedBatchPrefix));
    process.kill(pid, 'SIGSTOP');
    context.frozen.add(pid);
    await hold(spec.action === 'hang' ? context.hangMs : context.outageMs);
    await thaw(context, spec.target, pid);
    const end = Date.now();
    if (spec.action === 'hang') {
      const recovered = await waitWhole(context);
      return outcome(recovered ? Date.now() : undefined, end, `frozen ${context.hangMs / 1000} s`);
    }
    if (!(await waitWhole(context))) return outcome(undefined, end, 'the stack did not recover');
    const failed = (await context.failedBatches.keysAt(context.runner.failedBatchPrefix)).filter(
      (key) => !failedBefore.has(key),
    );
    if (failed.length === 0)
      return outcome(
        undefined,
        end,
        `no batch reached ${context.runner.failedBatchUri} in ${context.outageMs / 1000} s`,
      );
    await replayFailedBatchesCli(context.runner.failedBatchUri);
    return outcome(Date.now(), end, `${failed.length} failed batches replayed`);
  } catch (error) {
    return outcome(undefined, Date.now(), describeError(error));
  }
}

/** `npm run batcher -- --replay <uri> --mark`, as a user runs it after an outage. */
export async function replayFailedBatchesCli(uri: string): Promise<string> {
  const { stderr } = await execFileAsync(
    path.join(repoRoot, 'node_modules/.bin/tsx'),
    [path.join(repoRoot, 'local/src/cli/batcher.ts'), '--replay', uri, '--mark'],
    { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 },
  );
  return stderr.trim().split('\n').at(-1) ?? '';
}
