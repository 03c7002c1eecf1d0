import type { FlinkJob } from '@apphub/flink';
import type { Metrics } from '@apphub/observability';
import type { ControlPlane } from './context.js';
import { decideReconcile, isAlive, type ObservedJob, type ReconcileDecision } from './decisions.js';
import { matchFlinkJob } from './deploy.js';
import type { JobRecord } from './records.js';
import { latestCheckpoint, newestCompleted } from './restore.js';
import { refreshInFlight } from './savepoints.js';
import { deployAndRecord, upgradeJob } from './submit.js';

/** Outcome of reconciling one job. */
export interface ReconcileOutcome {
  readonly jobName: string;
  readonly decision: ReconcileDecision;
  /** The Flink job running after the action, when there is one. */
  readonly jobId: string | undefined;
  readonly error?: string;
}

/**
 * One reconcile pass over the desired jobs (or the named ones): observe Flink and storage, decide
 * with {@link decideReconcile}, act, and report health metrics per job.
 */
export async function runReconcile(
  plane: ControlPlane,
  options: { jobNames?: readonly string[] } = {},
): Promise<ReconcileOutcome[]> {
  const records = (await plane.jobs.list()).filter(
    (record) => !options.jobNames || options.jobNames.includes(record.jobName),
  );
  const flinkJobs = await plane.rest.jobs();
  const outcomes: ReconcileOutcome[] = [];
  for (const record of records) {
    const metrics = plane.metricsFor(record.jobName);
    try {
      outcomes.push(await reconcileOne(plane, record, flinkJobs, metrics));
    } finally {
      metrics.flush();
    }
  }
  return outcomes;
}

/** Observes one job: its Flink job, savepoints, and (when it is not alive) where it could restore from. */
export async function observeJob(
  plane: ControlPlane,
  record: JobRecord,
  flinkJobs: readonly FlinkJob[],
): Promise<ObservedJob> {
  const flinkJob = matchFlinkJob(record, flinkJobs);
  const history = await refreshInFlight(plane, await plane.savepoints.history(record.jobName));
  const alive = isAlive(flinkJob);
  return {
    record,
    flinkJob,
    savepointInFlight: history.some((entry) => entry.status === 'IN_PROGRESS'),
    latestCheckpoint: alive ? undefined : await latestCheckpoint(plane, record.jobId),
    latestSavepoint: newestCompleted(history),
    now: plane.now(),
  };
}

async function reconcileOne(
  plane: ControlPlane,
  record: JobRecord,
  flinkJobs: readonly FlinkJob[],
  metrics: Metrics,
): Promise<ReconcileOutcome> {
  const log = plane.logger.child({ jobName: record.jobName });
  const observed = await observeJob(plane, record, flinkJobs);
  await reportHealth(plane, observed, metrics);
  const decision = decideReconcile(observed, plane.config.reconcile);
  const outcome = (jobId: string | undefined, error?: string): ReconcileOutcome => ({
    jobName: record.jobName,
    decision,
    jobId,
    ...(error ? { error } : {}),
  });
  log.info('reconcile decision', { decision, flinkJob: observed.flinkJob });
  const liveId = observed.flinkJob && isAlive(observed.flinkJob) ? observed.flinkJob.id : undefined;
  try {
    switch (decision.action) {
      case 'none':
      case 'wait':
        return outcome(liveId);
      case 'mark-healthy':
        await plane.jobs.put({
          ...record,
          resubmitAttempts: 0,
          lastError: undefined,
          updatedAt: new Date(plane.now()).toISOString(),
        });
        return outcome(liveId);
      case 'give-up':
        log.error('job not running and attempts exhausted', {
          reason: decision.reason,
          lastError: record.lastError,
        });
        return outcome(undefined, record.lastError ?? decision.reason);
      case 'upgrade': {
        const upgraded = await upgradeJob(plane, record, observed.flinkJob!.id);
        return outcome(upgraded.jobId);
      }
      case 'resubmit': {
        metrics.add('Resubmissions', 'Count');
        const deployed = await deployAndRecord(
          plane,
          record,
          decision.restore,
          { resubmitAttempts: decision.attempt, lastResubmitAt: new Date(plane.now()).toISOString() },
          { recordFailure: true },
        );
        log.info('job resubmitted', {
          jobId: deployed.jobId,
          restore: decision.restore,
          attempt: decision.attempt,
        });
        return outcome(deployed.jobId);
      }
    }
  } catch (error) {
    log.error('reconcile action failed', { action: decision.action, error });
    return outcome(liveId, (error as Error).message);
  }
}

/** JobsNotRunning, FailedCheckpoints and JobRestarts for one desired job. */
async function reportHealth(plane: ControlPlane, observed: ObservedJob, metrics: Metrics): Promise<void> {
  if (observed.record.desiredState === 'stopped') return;
  const { flinkJob } = observed;
  const running = flinkJob?.state === 'RUNNING';
  metrics.add('JobsNotRunning', 'Count', running ? 0 : 1);
  if (!flinkJob || !isAlive(flinkJob)) return;
  const [checkpoints, jobMetrics] = await Promise.all([
    plane.rest.checkpoints(flinkJob.id),
    plane.rest.jobMetrics(flinkJob.id, ['numRestarts']),
  ]);
  metrics.add('FailedCheckpoints', 'Count', checkpoints.failed);
  metrics.add('JobRestarts', 'Count', jobMetrics.numRestarts ?? 0);
}
