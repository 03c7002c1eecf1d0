import type { FlinkJob } from '@apphub/flink';
import type { ControlPlane } from './context.js';
import { decideLiveJob, decideRestoreJob } from './decisions.js';
import { ControlPlaneJobStateError, ControlPlaneJobUnknownError } from './errors.js';
import { jobLease, type LeaseOutcome, withLease } from './lease.js';
import type { RestoreSource } from './records.js';
import { resolveRestoreChoice } from './restore.js';
import { applyRetention, stopWithSavepoint, takeSavepoint } from './savepoints.js';
import { deployAndRecord } from './submit.js';

/** The live Flink job of a name ({@link decideLiveJob}); throws ControlPlaneJobUnknownError when there is none. */
export async function findLiveJob(plane: ControlPlane, jobName: string): Promise<FlinkJob> {
  const decision = decideLiveJob(jobName, await plane.jobs.get(jobName), await plane.rest.jobs());
  if (decision.action === 'refuse') {
    throw new ControlPlaneJobUnknownError(decision.reason, { refusal: decision.refusal });
  }
  return decision.job;
}

/** What a user's savepoint did. */
export interface ManualSavepointResult {
  readonly jobName: string;
  readonly jobId: string;
  readonly location: string;
  /** Older savepoints retention deleted afterwards. */
  readonly expired: number;
}

/**
 * A savepoint now, recorded as `manual`, then retention; under the job's lease, so it never overlaps
 * a rescale or a scheduled savepoint of the same job (`{ ran: false }` then).
 */
export function savepointJob(
  plane: ControlPlane,
  jobName: string,
): Promise<LeaseOutcome<ManualSavepointResult>> {
  return withLease(plane, jobLease(jobName), {}, async () => {
    const job = await findLiveJob(plane, jobName);
    const savepoint = await takeSavepoint(plane, jobName, job.id, 'manual');
    const expired = await applyRetention(plane, jobName);
    return { jobName, jobId: job.id, location: savepoint.location!, expired: expired.length };
  });
}

/** What a stop did. */
export interface StopJobResult {
  readonly jobName: string;
  readonly jobId: string;
  /** The final savepoint, to restore from. */
  readonly location: string;
  /** True when the job is managed and now recorded as stopped on purpose. */
  readonly markedStopped: boolean;
}

/**
 * Stops a job with a final savepoint (`drain`: emit all windows first). A managed job is then
 * recorded as stopped on purpose, so reconcile does not resubmit it; the record is read after the
 * stop, so what another operation wrote meanwhile is kept.
 */
export async function stopJob(
  plane: ControlPlane,
  request: { readonly jobName: string; readonly drain?: boolean },
): Promise<StopJobResult> {
  const { jobName } = request;
  const job = await findLiveJob(plane, jobName);
  const savepoint = await stopWithSavepoint(plane, jobName, job.id, request.drain === true);
  const record = await plane.jobs.get(jobName);
  if (record) {
    await plane.jobs.put({
      ...record,
      desiredState: 'stopped',
      updatedAt: new Date(plane.now()).toISOString(),
    });
  }
  return { jobName, jobId: job.id, location: savepoint.location!, markedStopped: record !== undefined };
}

/** What a restore did. */
export interface RestoreJobResult {
  readonly jobName: string;
  readonly jobId: string;
  readonly restoreSource: RestoreSource;
}

/**
 * Restores a stopped managed job from a savepoint or checkpoint path ({@link decideRestoreJob}): the
 * path must hold a completed snapshot; the job is submitted with its recorded SQL and wanted running
 * again. A failed submission records nothing, as a first submission does.
 */
export async function restoreJob(
  plane: ControlPlane,
  request: { readonly jobName: string; readonly from: string; readonly allowNonRestoredState?: boolean },
): Promise<RestoreJobResult> {
  const { jobName, from } = request;
  const record = await plane.jobs.get(jobName);
  const decision = decideRestoreJob({
    jobName,
    record,
    flinkJobs: await plane.rest.jobs(),
    from,
    allowNonRestoredState: request.allowNonRestoredState === true,
  });
  if (decision.action === 'refuse') {
    const { reason, refusal } = decision;
    throw refusal.code === 'job-unmanaged'
      ? new ControlPlaneJobUnknownError(reason, { refusal })
      : new ControlPlaneJobStateError(reason, { refusal });
  }
  const restore = await resolveRestoreChoice(plane, jobName, record?.jobId, { kind: 'path', path: from });
  const deployed = await deployAndRecord(
    plane,
    decision.desired,
    restore,
    { resubmitAttempts: 0 },
    { recordFailure: false },
  );
  return { jobName, jobId: deployed.jobId!, restoreSource: restore };
}
