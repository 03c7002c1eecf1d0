import type { ControlPlane } from './context.js';
import { ControlPlaneError } from './errors.js';
import { parseScheduledEvent } from './events.js';
import { type ReconcileOutcome, runReconcile } from './reconcile.js';
import { runSavepointSchedule, type SavepointOutcome } from './savepoints.js';
import { parseSubmitSqlRequest, type SubmitSqlResult, submitSql } from './submit.js';

/** submit-sql Lambda: validates the request, then submits or upgrades the job. */
export function handleSubmitSqlEvent(plane: ControlPlane, event: unknown): Promise<SubmitSqlResult> {
  return submitSql(plane, parseSubmitSqlRequest(event));
}

/** savepoint Lambda (EventBridge schedule): one savepoint pass; fails the invocation when a job failed. */
export async function handleSavepointEvent(plane: ControlPlane, event: unknown): Promise<SavepointOutcome[]> {
  const scheduled = parseScheduledEvent(event);
  const outcomes = await runSavepointSchedule(plane, { jobNames: scheduled.detail.jobNames });
  failOnErrors('savepoint', outcomes);
  return outcomes;
}

/** reconcile Lambda (EventBridge schedule): one reconcile pass; fails the invocation when an action failed. */
export async function handleReconcileEvent(plane: ControlPlane, event: unknown): Promise<ReconcileOutcome[]> {
  const scheduled = parseScheduledEvent(event);
  const outcomes = await runReconcile(plane, { jobNames: scheduled.detail.jobNames });
  failOnErrors(
    'reconcile',
    outcomes.filter((outcome) => outcome.decision.action !== 'give-up'),
  );
  return outcomes;
}

function failOnErrors(pass: string, outcomes: readonly { jobName: string; error?: string }[]): void {
  const failed = outcomes.filter((outcome) => outcome.error);
  if (failed.length > 0) {
    throw new ControlPlaneError(
      `${pass} failed for ${failed.length} job(s): ${failed.map((outcome) => `${outcome.jobName}: ${outcome.error}`).join('; ')}`,
    );
  }
}
