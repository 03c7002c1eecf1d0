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
  /**
   * The longest an outage lasts; it ends earlier, once a batch has landed in the failed-batch bucket
   * (its invocation and retry failed), and never before `hangMs`.
   */
  readonly outageMs: number;
  /** The longest a recovery may take before the fault counts as not recovered. */
  readonly recoveryTimeoutMs: number;
  /** Processes frozen now, and their component: an interrupted soak thaws them, health checks skip them. */
  readonly frozen: Map<number, string>;
  readonly say: (line: string) => void;
}

/**
 * The stack whole again: every component healthy (but one another fault keeps frozen: that fault
 * measures its own recovery), the sample job's tasks all running, the runner in its group.
 */
export async function pipelineWhole(context: FaultContext): Promise<boolean> {
  if (!(await context.runner.consuming())) return false;
  const status = await stackStatus({ endpoints: context.endpoints });
  const frozen = new Set(context.frozen.values());
  if (!status.components.every((component) => component.healthy || frozen.has(component.component)))
    return false;
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
    const failedKeys = () => context.failedBatches.keysAt(context.runner.failedBatchPrefix);
    // MinIO may be down by another fault: the bucket is read once it answers.
    let failedBefore = new Set<string>();
    await waitUntil(
      'the failed-batch bucket to answer',
      async () => {
        failedBefore = new Set(await failedKeys());
        return true;
      },
      { timeoutMs: context.recoveryTimeoutMs, intervalMs: 1_000 },
    );
    const newFailedBatches = async () => (await failedKeys()).filter((key) => !failedBefore.has(key));
    process.kill(pid, 'SIGSTOP');
    context.frozen.set(pid, spec.target);
    const frozenAt = Date.now();
    await hold(context.hangMs);
    if (spec.action === 'outage') {
      // Data must reach the runner during the outage (another fault may hold the job back): it lasts
      // until a batch has failed through the mapping's retries, or `outageMs`.
      await waitUntil(
        'a batch in the failed-batch bucket',
        async () => (await newFailedBatches()).length > 0,
        {
          timeoutMs: Math.max(0, frozenAt + context.outageMs - Date.now()),
          intervalMs: 2_000,
        },
      );
    }
    await thaw(context, spec.target, pid);
    const end = Date.now();
    if (spec.action === 'hang') {
      const recovered = await waitWhole(context);
      return outcome(recovered ? Date.now() : undefined, end, `frozen ${context.hangMs / 1000} s`);
    }
    if (!(await waitWhole(context))) return outcome(undefined, end, 'the stack did not recover');
    const failed = await newFailedBatches();
    const lasted = `${Math.round((end - frozenAt) / 1000)} s`;
    if (failed.length === 0)
      return outcome(undefined, end, `no batch reached ${context.runner.failedBatchUri} in ${lasted}`);
    await replayFailedBatchesCli(context.runner.failedBatchUri);
    return outcome(Date.now(), end, `${lasted} long; ${failed.length} failed batches replayed`);
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
