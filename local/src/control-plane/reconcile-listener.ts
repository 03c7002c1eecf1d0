import {
  type ControlPlane,
  type ReconcileOutcome,
  reconcileAfterJobManagerStart,
  runAutoscale,
  type TaskManagerScaler,
} from '@apphub/control-plane';
import { createLogger } from '@apphub/observability';
import { describeError, parseLocalEndpoints, platform } from '@apphub/platform';
import { localControlPlane } from './local-plane.js';
import { localTaskManagerScaler } from './local-task-managers.js';

/**
 * The native stack's reconciler: a supervisord event listener (supervisord's protocol: READY on
 * stdout, then one header line and a payload per event on stdin, answered with RESULT). When the
 * JobManager process enters RUNNING (started again after a crash, a kill, or local:down/up), every
 * job the control plane manages is brought back from its latest checkpoint by the control plane's
 * reconcile, as the ECS deployment's EventBridge rule on the JobManager task does. Logs go to stderr.
 */
const logger = createLogger('reconciler', { sink: (line) => process.stderr.write(`${line}\n`) });

/** How long to wait for a started JobManager to be ready and every managed job to be back. */
const RECOVERY_DEADLINE_MS = 10 * 60_000;

/** Parses `key:value key:value` tokens (supervisord's header and payload format). */
export function parseTokens(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split(/\s+/)
      .map((token) => {
        const colon = token.indexOf(':');
        return [token.slice(0, colon), token.slice(colon + 1)];
      }),
  );
}

/** Reads supervisord's events from `input` and calls `onEvent` for each; answers OK at once. */
export async function listen(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  onEvent: (name: string, payload: Record<string, string>) => void,
): Promise<void> {
  let buffer = Buffer.alloc(0);
  let header: Record<string, string> | undefined;
  output.write('READY\n');
  for await (const chunk of input) {
    buffer = Buffer.concat([buffer, chunk as Buffer]);
    for (;;) {
      if (!header) {
        const newline = buffer.indexOf('\n');
        if (newline === -1) break;
        header = parseTokens(buffer.subarray(0, newline).toString('utf8'));
        buffer = buffer.subarray(newline + 1);
      }
      const length = Number(header.len ?? 0);
      if (buffer.length < length) break;
      const payload = parseTokens(buffer.subarray(0, length).toString('utf8'));
      buffer = buffer.subarray(length);
      const name = header.eventname ?? '';
      header = undefined;
      onEvent(name, payload);
      output.write('RESULT 2\nOKREADY\n');
    }
  }
}

/** True once the SQL Gateway answers: a resubmission goes through it, and it starts after the TaskManagers. */
async function gatewayAnswers(plane: ControlPlane): Promise<boolean> {
  try {
    const response = await fetch(`${plane.config.sqlGatewayUrl}/v1/info`, {
      signal: AbortSignal.timeout(3_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/** Outcomes that leave a job to a later pass: a failed action, or a backoff after a failed resubmission. */
function unsettled(outcomes: readonly ReconcileOutcome[]): ReconcileOutcome[] {
  return outcomes.filter((outcome) => outcome.error !== undefined || outcome.decision.action === 'wait');
}

/**
 * Waits until the restarted JobManager can take jobs and the SQL Gateway answers, then reconciles every
 * managed job (the control plane's reconcileAfterJobManagerStart, which the ECS rule's Lambda runs too).
 * A pass that left a job unsettled (an action failed, a resubmission waits out its backoff, another pass
 * held the lease) is repeated with a growing pause until every job is settled or the deadline passes:
 * the native stack has no reconcile schedule behind it, as ECS has.
 */
export async function recoverManagedJobs(
  plane: ControlPlane,
  deadlineMs = RECOVERY_DEADLINE_MS,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  let pause = 1_000;
  const wait = async () => {
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, 15_000);
  };
  while (Date.now() < deadline && !(await gatewayAnswers(plane))) await wait();
  pause = 1_000;
  while (Date.now() < deadline) {
    try {
      const pass = await reconcileAfterJobManagerStart(plane, { deadline });
      if (pass.ran) {
        logger.info('reconcile after JobManager start', {
          outcomes: pass.value.map(({ jobName, decision, jobId, error }) => ({
            jobName,
            action: decision.action,
            jobId,
            error,
          })),
        });
        if (unsettled(pass.value).length === 0) return;
      } else {
        logger.info('another reconcile pass holds the lease; trying again after it', { holder: pass.holder });
      }
    } catch (error) {
      logger.warn('reconcile after JobManager start failed; trying again', { error: describeError(error) });
    }
    await wait();
  }
  logger.error('managed jobs not all recovered before the deadline', { deadlineMs });
}

/**
 * The native stack's reconcile schedule for the autoscaler: one autoscale pass (the function the
 * reconcile Lambda runs after each scheduled reconcile) every `intervalMs`, the next starting only
 * after the previous ended. Nothing runs while the autoscaler's global switch is off.
 */
export async function autoscaleOnSchedule(
  plane: ControlPlane,
  scaler: TaskManagerScaler,
  intervalMs: number,
): Promise<never> {
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    try {
      const pass = await runAutoscale(plane, scaler);
      const acted = pass.ran ? pass.value.filter((outcome) => outcome.status !== 'skipped') : [];
      if (acted.length > 0) {
        logger.info('autoscale pass', {
          outcomes: acted.map(({ jobName, status, detail, decision }) => ({
            jobName,
            status,
            action: decision?.action,
            parallelism: decision?.parallelism,
            detail,
          })),
        });
      }
    } catch (error) {
      logger.warn('autoscale pass failed; the next one tries again', { error: describeError(error) });
    }
  }
}

if (process.argv[1]?.endsWith('reconcile-listener.ts')) {
  const endpoints = parseLocalEndpoints();
  const plane = localControlPlane({ logger, endpoints });
  if (plane.config.autoscale.enabled) {
    void autoscaleOnSchedule(
      plane,
      localTaskManagerScaler(endpoints),
      platform.autoscale.nativePassIntervalSeconds * 1000,
    );
  }
  let recovery: Promise<void> = Promise.resolve();
  let queued = false;
  const onEvent = (name: string, payload: Record<string, string>) => {
    if (name !== 'PROCESS_STATE_RUNNING' || payload.processname !== 'jobmanager') return;
    logger.info('JobManager started', { pid: payload.pid });
    // One recovery at a time; a second start while one runs queues one more pass.
    if (queued) return;
    queued = true;
    recovery = recovery.then(async () => {
      queued = false;
      await recoverManagedJobs(plane);
    });
  };
  listen(process.stdin, process.stdout, onEvent).catch((error: unknown) => {
    logger.error('listener stopped', { error: describeError(error) });
    process.exit(1);
  });
}
