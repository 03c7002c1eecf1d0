import { type FlinkJob, FlinkJobNotFoundError } from '@apphub/flink';
import { type EntityTotal, entityTotal, MetricName, type MetricRecorder } from '@apphub/observability';
import type { ControlPlane } from './context.js';
import {
  decideReconcile,
  isAlive,
  type ObservedJob,
  type ReconcileDecision,
  unmanagedJobNames,
} from './decisions.js';
import { matchFlinkJob } from './deploy.js';
import { ControlPlaneJobUnknownError } from './errors.js';
import type { LeaseOutcome } from './lease.js';
import { type PassOptions, runPass } from './pass.js';
import type { HealthCounters, JobRecord } from './records.js';
import { latestCheckpoint, newestCompleted } from './restore.js';
import { refreshInFlight } from './savepoints.js';
import { deployAndRecord, upgradeJob } from './submit.js';

/** Outcome of reconciling one job. */
export interface ReconcileOutcome {
  readonly jobName: string;
  readonly decision: ReconcileDecision;
  /** The Flink job running after the action, when there is one. */
  readonly jobId: string | undefined;
  readonly error?: string | undefined;
}

/**
 * One reconcile pass over the desired jobs (or the named ones): observe Flink and storage, decide
 * with {@link decideReconcile}, act, and report health metrics per job. Single-flight: while another
 * pass holds the reconcile lease this returns `{ ran: false }`; a job another operation (a rescale,
 * a savepoint) holds is left for the next pass. JobsNotRunning goes into each job's series and, as
 * the pass's total, once into the `Service` series (also when a later job throws), so the dashboard
 * shows how many jobs are down and the alarm's Maximum >= 1 still means "any".
 */
export async function runReconcile(
  plane: ControlPlane,
  options: PassOptions = {},
): Promise<LeaseOutcome<ReconcileOutcome[]>> {
  const notRunning = entityTotal(plane.serviceMetrics, MetricName.jobsNotRunning, 'Count');
  try {
    return await runPass(
      plane,
      'reconcile',
      options,
      (record, flinkJobs, metrics) => reconcileOne(plane, record, flinkJobs, metrics, notRunning),
      (record, reason) => ({
        jobName: record.jobName,
        decision: { action: 'wait', reason, retryAt: plane.now() },
        jobId: record.jobId,
      }),
    );
  } finally {
    notRunning.publish();
  }
}

/**
 * One reconcile pass over the jobs a user named (every managed job when none), as the schedule runs
 * it. A named job the control plane does not manage is refused before anything runs, where the
 * scheduled pass would skip it without a word.
 */
export async function reconcileJobs(
  plane: ControlPlane,
  jobNames: readonly string[] = [],
): Promise<LeaseOutcome<ReconcileOutcome[]>> {
  if (jobNames.length === 0) return runReconcile(plane);
  const records = await plane.jobs.list();
  const unknown = unmanagedJobNames(jobNames, records);
  if (unknown.length > 0) {
    throw new ControlPlaneJobUnknownError(
      `not managed by the control plane: ${unknown.join(', ')} (managed: ${
        records
          .map((record) => record.jobName)
          .sort()
          .join(', ') || 'none'
      })`,
    );
  }
  return runReconcile(plane, { jobNames });
}

/**
 * Observes one job: its Flink job, savepoints, and (when it is not alive) where it could restore from.
 * The recorded job id is also asked for directly, because Flink's jobs overview is cached for a few
 * seconds and can miss a job that was just submitted.
 */
export async function observeJob(
  plane: ControlPlane,
  record: JobRecord,
  flinkJobs: readonly FlinkJob[],
): Promise<ObservedJob> {
  const flinkJob = matchFlinkJob(record, flinkJobs) ?? (await recordedJob(plane, record.jobId));
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

async function recordedJob(plane: ControlPlane, jobId: string | undefined): Promise<FlinkJob | undefined> {
  if (!jobId) return undefined;
  try {
    return await plane.rest.job(jobId);
  } catch (error) {
    if (error instanceof FlinkJobNotFoundError) return undefined;
    throw error;
  }
}

async function reconcileOne(
  plane: ControlPlane,
  stored: JobRecord,
  flinkJobs: readonly FlinkJob[],
  metrics: MetricRecorder,
  notRunning: EntityTotal,
): Promise<ReconcileOutcome> {
  const log = plane.logger.child({ jobName: stored.jobName });
  const observed = await observeJob(plane, stored, flinkJobs);
  const health = await reportHealth(plane, observed, metrics, notRunning);
  // Written only when the counters moved, so a quiet job costs no write per run.
  const changed = JSON.stringify(health) !== JSON.stringify(stored.health);
  const record = changed ? { ...stored, health } : stored;
  if (changed) await plane.jobs.put(record);
  const decision = decideReconcile(observed, plane.config.reconcile);
  const outcome = (jobId: string | undefined, error?: string): ReconcileOutcome => ({
    jobName: record.jobName,
    decision,
    jobId,
    error,
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
        metrics.add(MetricName.resubmissions, 'Count');
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

/**
 * Publishes JobsNotRunning (0 or 1 per job, added to the pass's total), and FailedCheckpoints and
 * JobRestarts as increases since the previous reconcile (Flink's counters are cumulative per job id).
 * Returns the counters to remember.
 */
async function reportHealth(
  plane: ControlPlane,
  observed: ObservedJob,
  metrics: MetricRecorder,
  notRunning: EntityTotal,
): Promise<HealthCounters | undefined> {
  const { record, flinkJob } = observed;
  if (record.desiredState === 'stopped') return record.health;
  notRunning.add(metrics, flinkJob?.state === 'RUNNING' ? 0 : 1);
  if (!flinkJob || !isAlive(flinkJob)) return record.health;
  const [checkpoints, jobMetrics] = await Promise.all([
    plane.rest.checkpoints(flinkJob.id),
    plane.rest.jobMetrics(flinkJob.id, ['numRestarts']),
  ]);
  const current: HealthCounters = {
    jobId: flinkJob.id,
    failedCheckpoints: checkpoints.failed,
    restarts: jobMetrics.numRestarts ?? 0,
  };
  const previous = record.health?.jobId === flinkJob.id ? record.health : undefined;
  metrics.add(
    MetricName.failedCheckpoints,
    'Count',
    Math.max(0, current.failedCheckpoints - (previous?.failedCheckpoints ?? 0)),
  );
  metrics.add(MetricName.jobRestarts, 'Count', Math.max(0, current.restarts - (previous?.restarts ?? 0)));
  return current;
}
