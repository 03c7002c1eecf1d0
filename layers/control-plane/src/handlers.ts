import { runAutoscale } from './autoscale/pass.js';
import type { ControlPlane } from './context.js';
import { ControlPlaneError } from './errors.js';
import { parseReconcileEvent, parseScheduledEvent } from './events.js';
import { reconcileAfterJobManagerStart } from './jobmanager.js';
import type { LeaseOutcome } from './lease.js';
import { type ReconcileOutcome, runReconcile } from './reconcile.js';
import { parseRescaleRequest, type RescaleResult, rescaleJob, type TaskManagerScaler } from './rescale.js';
import { runSavepointSchedule, type SavepointOutcome } from './savepoints.js';
import { parseSubmitSqlRequest, type SubmitSqlResult, submitSql } from './submit.js';

/** What a Lambda knows about its invocation: when it must be done (now + remaining time). */
export interface InvocationTiming {
  readonly deadline?: number | undefined;
}

/** submit-sql Lambda: validates the request, then submits or upgrades the job. */
export function handleSubmitSqlEvent(plane: ControlPlane, event: unknown): Promise<SubmitSqlResult> {
  return submitSql(plane, parseSubmitSqlRequest(event));
}

/**
 * savepoint Lambda (EventBridge schedule): one savepoint pass; fails the invocation when a job
 * failed. Another pass still running is not an error: this one logs that and does nothing.
 */
export async function handleSavepointEvent(
  plane: ControlPlane,
  event: unknown,
  timing: InvocationTiming = {},
): Promise<SavepointOutcome[]> {
  const scheduled = parseScheduledEvent(event);
  const outcomes = ranOrNothing(
    await runSavepointSchedule(plane, { jobNames: scheduled.detail.jobNames, deadline: timing.deadline }),
  );
  failOnErrors('savepoint', outcomes);
  return outcomes;
}

/**
 * reconcile Lambda: one reconcile pass on its schedule, followed by an autoscale pass when a
 * TaskManager scaler is given (it does nothing while the autoscaler's global switch is off), or, on
 * the JobManager's ECS task reaching RUNNING, a wait for the new JobManager followed by a pass over
 * every managed job. Fails the invocation when an action failed; another pass still running is not
 * an error.
 */
export async function handleReconcileEvent(
  plane: ControlPlane,
  event: unknown,
  timing: InvocationTiming = {},
  scaler?: TaskManagerScaler,
): Promise<ReconcileOutcome[]> {
  const trigger = parseReconcileEvent(event);
  let result: LeaseOutcome<ReconcileOutcome[]>;
  if (trigger.kind === 'schedule') {
    result = await runReconcile(plane, { jobNames: trigger.jobNames, deadline: timing.deadline });
    if (scaler) {
      const autoscaled = ranOrNothing(
        await runAutoscale(plane, scaler, { jobNames: trigger.jobNames, deadline: timing.deadline }),
      );
      failOnErrors(
        'autoscale',
        autoscaled.map((outcome) => ({
          jobName: outcome.jobName,
          error: outcome.status === 'failed' ? outcome.detail : undefined,
        })),
      );
    }
  } else if (trigger.running) {
    plane.logger.info('JobManager task started', { taskArn: trigger.taskArn });
    result = await reconcileAfterJobManagerStart(plane, { deadline: timing.deadline });
  } else {
    plane.logger.info('JobManager task change is not a start; nothing to do', { taskArn: trigger.taskArn });
    return [];
  }
  const outcomes = ranOrNothing(result);
  failOnErrors(
    'reconcile',
    outcomes.filter((outcome) => outcome.decision.action !== 'give-up'),
  );
  return outcomes;
}

/**
 * rescale Lambda: `{ jobName, parallelism }`. Returns what was done, or `{ busy }` (not an error)
 * when another operation holds the job.
 */
export async function handleRescaleEvent(
  plane: ControlPlane,
  scaler: TaskManagerScaler,
  event: unknown,
  timing: InvocationTiming = {},
): Promise<RescaleResult | { readonly busy: string }> {
  const result = await rescaleJob(plane, scaler, parseRescaleRequest(event), timing);
  if (result.ran) return result.value;
  return { busy: `another operation holds the job (${result.holder?.owner ?? 'unknown'}); retry later` };
}

/** A pass's outcomes, or none when another pass held the lease (withLease has logged that). */
function ranOrNothing<T>(result: LeaseOutcome<T[]>): T[] {
  return result.ran ? result.value : [];
}

function failOnErrors(
  pass: string,
  outcomes: readonly { jobName: string; error?: string | undefined }[],
): void {
  const failed = outcomes.filter((outcome) => outcome.error);
  if (failed.length > 0) {
    throw new ControlPlaneError(
      `${pass} failed for ${failed.length} job(s): ${failed.map((outcome) => `${outcome.jobName}: ${outcome.error}`).join('; ')}`,
    );
  }
}
