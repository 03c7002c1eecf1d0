import { type ClusterOverview, type FlinkJob, isTerminal } from '@apphub/flink';
import { matchFlinkJob } from './deploy.js';
import type { ControlPlaneRefusal } from './errors.js';
import type { JobRecord, RestoreSource, SavepointRecord } from './records.js';
import type { ReconcilePolicy, SavepointRetention, TaskManagerBounds } from './settings.js';

/**
 * True when Flink still runs the job, or is (re)starting, failing over or cancelling it: any state
 * that is not terminal ({@link isTerminal}).
 */
export function isAlive(job: FlinkJob | undefined): boolean {
  return job !== undefined && !isTerminal(job.state);
}

/** A restorable snapshot seen while observing a job. */
export interface ObservedSnapshot {
  readonly path: string;
  readonly completedAt: number;
}

/** What reconcile observed about one desired job. */
export interface ObservedJob {
  readonly record: JobRecord;
  /** The Flink job matched by the recorded id (or, failing that, by name among live jobs). */
  readonly flinkJob: FlinkJob | undefined;
  readonly savepointInFlight: boolean;
  readonly latestCheckpoint: ObservedSnapshot | undefined;
  readonly latestSavepoint: ObservedSnapshot | undefined;
  readonly now: number;
}

/** What reconcile will do for one job. A value: deciding never changes anything. */
export type ReconcileDecision =
  | { readonly action: 'none'; readonly reason: string }
  | { readonly action: 'mark-healthy'; readonly reason: string }
  | { readonly action: 'wait'; readonly reason: string; readonly retryAt: number }
  | { readonly action: 'give-up'; readonly reason: string }
  | { readonly action: 'upgrade'; readonly reason: string }
  | {
      readonly action: 'resubmit';
      readonly reason: string;
      readonly restore: RestoreSource;
      readonly attempt: number;
    };

const maxBackoffMs = 3_600_000;

/** Delay before resubmission number `attempt + 1`, doubling from the policy's base, capped at one hour. */
export function backoffAfter(attempt: number, policy: ReconcilePolicy): number {
  return Math.min(maxBackoffMs, policy.backoffMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Decides what to do with one desired job: keep it, upgrade it (changed SQL), resubmit it from its
 * newest checkpoint or savepoint, wait for the backoff, or give up after the bounded attempts.
 */
export function decideReconcile(observed: ObservedJob, policy: ReconcilePolicy): ReconcileDecision {
  const { record, flinkJob } = observed;
  if (record.desiredState === 'stopped') return { action: 'none', reason: 'stopped on purpose' };
  if (flinkJob && isAlive(flinkJob)) {
    if (record.deployedSqlHash !== record.sqlHash) {
      if (observed.savepointInFlight) {
        return { action: 'wait', reason: 'SQL changed; a savepoint is in flight', retryAt: observed.now };
      }
      if (flinkJob.state !== 'RUNNING') {
        return { action: 'wait', reason: `SQL changed; job is ${flinkJob.state}`, retryAt: observed.now };
      }
      return { action: 'upgrade', reason: 'SQL changed' };
    }
    if (flinkJob.state === 'RUNNING' && record.resubmitAttempts > 0) {
      return {
        action: 'mark-healthy',
        reason: `running again after ${record.resubmitAttempts} resubmission(s)`,
      };
    }
    return { action: 'none', reason: `job is ${flinkJob.state}` };
  }
  const lost = flinkJob ? `job is ${flinkJob.state}` : 'job is not known to Flink';
  if (record.resubmitAttempts >= policy.maxAttempts) {
    return { action: 'give-up', reason: `${lost}; gave up after ${record.resubmitAttempts} resubmissions` };
  }
  if (record.lastResubmitAt && record.resubmitAttempts > 0) {
    const retryAt = Date.parse(record.lastResubmitAt) + backoffAfter(record.resubmitAttempts, policy);
    if (observed.now < retryAt) return { action: 'wait', reason: `${lost}; backing off`, retryAt };
  }
  return {
    action: 'resubmit',
    reason: lost,
    restore: chooseRestore(observed),
    attempt: record.resubmitAttempts + 1,
  };
}

/** The newest of the latest checkpoint and savepoint; the original restore source when neither exists. */
export function chooseRestore(
  observed: Pick<ObservedJob, 'record' | 'latestCheckpoint' | 'latestSavepoint'>,
): RestoreSource {
  const { latestCheckpoint, latestSavepoint } = observed;
  if (latestCheckpoint && (!latestSavepoint || latestCheckpoint.completedAt >= latestSavepoint.completedAt)) {
    return { kind: 'checkpoint', path: latestCheckpoint.path };
  }
  if (latestSavepoint) return { kind: 'savepoint', path: latestSavepoint.path };
  return observed.record.restoreSource;
}

/** What the savepoint schedule will do for one job. */
export type SavepointDecision =
  | { readonly action: 'trigger' }
  | { readonly action: 'skip'; readonly reason: string };

/** Triggers a savepoint only for a running, desired job with no savepoint in flight. */
export function decideSavepoint(observed: {
  readonly record: JobRecord;
  readonly flinkJob: FlinkJob | undefined;
  readonly savepointInFlight: boolean;
}): SavepointDecision {
  if (observed.record.desiredState === 'stopped') return { action: 'skip', reason: 'stopped on purpose' };
  if (observed.flinkJob?.state !== 'RUNNING') {
    return { action: 'skip', reason: `job is ${observed.flinkJob?.state ?? 'not running'}` };
  }
  if (!observed.flinkJob.allTasksRunning) return { action: 'skip', reason: 'tasks are still being deployed' };
  if (observed.savepointInFlight) return { action: 'skip', reason: 'a savepoint is in flight' };
  return { action: 'trigger' };
}

/**
 * Savepoints to expire: completed ones beyond `maxCount` or older than `maxAgeMs`, never the newest
 * completed one; failed entries older than `maxAgeMs`. In-flight entries are never expired.
 */
export function decideRetention(
  history: readonly SavepointRecord[],
  retention: SavepointRetention,
  now: number,
): SavepointRecord[] {
  const completed = history
    .filter((record) => record.status === 'COMPLETED')
    .sort((a, b) => completedAt(b) - completedAt(a));
  const expiredCompleted = completed.filter(
    (record, index) =>
      index > 0 && (index >= retention.maxCount || now - completedAt(record) > retention.maxAgeMs),
  );
  const expiredFailed = history.filter(
    (record) => record.status === 'FAILED' && now - Date.parse(record.triggeredAt) > retention.maxAgeMs,
  );
  return [...expiredCompleted, ...expiredFailed];
}

function completedAt(record: SavepointRecord): number {
  return Date.parse(record.completedAt ?? record.triggeredAt);
}

/** What a rescale observed before deciding. */
export interface RescaleObservation {
  readonly record: JobRecord;
  /** The job as GET /jobs/{id} reports it (with its parallelism), undefined when Flink has none. */
  readonly flinkJob: FlinkJob | undefined;
  readonly savepointInFlight: boolean;
  readonly targetParallelism: number;
  /** TaskManagers the scaler runs now. */
  readonly taskManagers: number;
  readonly slotsPerTaskManager: number;
  /** Slots other jobs of the cluster take (they keep them through the rescale). */
  readonly slotsUsedByOthers: number;
  readonly bounds: TaskManagerBounds;
}

/** The TaskManager count before and after a rescale. */
export interface TaskManagerChange {
  readonly from: number;
  readonly to: number;
}

/** What a rescale will do. A value: deciding never changes anything. */
export type RescalePlan =
  | { readonly action: 'refuse'; readonly reason: string }
  | { readonly action: 'none'; readonly reason: string }
  | {
      readonly action: 'rescale';
      readonly reason: string;
      readonly fromParallelism: number;
      readonly toParallelism: number;
      readonly taskManagers: TaskManagerChange;
    };

/** TaskManagers that offer `slots` slots. */
export function taskManagersFor(slots: number, slotsPerTaskManager: number): number {
  return Math.ceil(slots / slotsPerTaskManager);
}

/**
 * Plans a rescale of a running job: stop with a savepoint, change the TaskManager count to what the
 * new parallelism and the other jobs need (within the bounds), restore with the new parallelism.
 * An in-flight savepoint, a job that is not fully running, or a count above the bounds refuses it.
 * TaskManagers are removed only when no other job runs: ECS picks the tasks it stops, which could
 * hold another job's tasks.
 */
export function planRescale(observed: RescaleObservation): RescalePlan {
  const { record, flinkJob, targetParallelism, bounds } = observed;
  if (record.desiredState === 'stopped') {
    return { action: 'refuse', reason: 'it is stopped on purpose; restore or submit it first' };
  }
  if (flinkJob?.state !== 'RUNNING' || !flinkJob.allTasksRunning) {
    const state = flinkJob
      ? flinkJob.state === 'RUNNING'
        ? 'still deploying tasks'
        : flinkJob.state
      : 'not running';
    return { action: 'refuse', reason: `the job is ${state}; rescale a job whose tasks all run` };
  }
  if (observed.savepointInFlight) {
    return { action: 'refuse', reason: 'a savepoint is in flight; retry when it completes' };
  }
  const current = flinkJob.parallelism ?? record.parallelism;
  if (current === targetParallelism) {
    return { action: 'none', reason: `it already runs with parallelism ${current}` };
  }
  const needed = taskManagersFor(
    observed.slotsUsedByOthers + targetParallelism,
    observed.slotsPerTaskManager,
  );
  if (needed > bounds.max) {
    return {
      action: 'refuse',
      reason: `parallelism ${targetParallelism} needs ${needed} TaskManagers (${observed.slotsPerTaskManager} slots each, ${observed.slotsUsedByOthers} slots taken by other jobs); at most ${bounds.max} are allowed`,
    };
  }
  const from = observed.taskManagers;
  const to =
    needed > from
      ? needed
      : observed.slotsUsedByOthers === 0
        ? Math.max(needed, bounds.min)
        : Math.max(from, bounds.min);
  return {
    action: 'rescale',
    reason:
      to === from
        ? `parallelism ${current ?? 'default'} -> ${targetParallelism} fits on ${from} TaskManagers`
        : `parallelism ${current ?? 'default'} -> ${targetParallelism} needs ${to} TaskManagers (now ${from})`,
    fromParallelism: current ?? targetParallelism,
    toParallelism: targetParallelism,
    taskManagers: { from, to },
  };
}

/**
 * True when a (re)started JobManager can run jobs: its REST API answered and TaskManagers have
 * registered slots with it. Before that, a resubmission would wait for slots or fail.
 */
export function isJobManagerReady(overview: ClusterOverview | undefined): boolean {
  return overview !== undefined && overview.taskManagers > 0 && overview.slotsTotal > 0;
}

/** Which live Flink job a user's command on one job (stop, savepoint) acts on. A value. */
export type LiveJobDecision =
  | { readonly action: 'act'; readonly job: FlinkJob }
  | { readonly action: 'refuse'; readonly reason: string; readonly refusal: ControlPlaneRefusal };

/**
 * The live Flink job of a name: the managed record's job first, else any live job with that name
 * (a job submitted by hand has no record); refused when Flink runs none.
 */
export function decideLiveJob(
  jobName: string,
  record: JobRecord | undefined,
  flinkJobs: readonly FlinkJob[],
): LiveJobDecision {
  const job = matchFlinkJob({ jobName, jobId: record?.jobId }, flinkJobs);
  if (job && isAlive(job)) return { action: 'act', job };
  return {
    action: 'refuse',
    reason: `no running Flink job named ${jobName}${record ? ` (last job id ${record.jobId ?? '-'})` : ''}`,
    refusal: { code: 'job-not-found', jobName },
  };
}

/** What restoring a stopped job from a savepoint or checkpoint will do. A value. */
export type RestoreJobDecision =
  | {
      readonly action: 'refuse';
      readonly reason: string;
      /** `job-unmanaged`: its SQL is unknown; `job-running`: it must be stopped first. */
      readonly refusal: Extract<ControlPlaneRefusal, { code: 'job-unmanaged' | 'job-running' }>;
    }
  | { readonly action: 'restore'; readonly desired: JobRecord };

/**
 * Restores a managed job that Flink does not run, wanted running again with the record's SQL;
 * `allowNonRestoredState` adds to what the record allows, never takes it away.
 */
export function decideRestoreJob(observed: {
  readonly jobName: string;
  readonly record: JobRecord | undefined;
  readonly flinkJobs: readonly FlinkJob[];
  readonly from: string;
  readonly allowNonRestoredState: boolean;
}): RestoreJobDecision {
  const { jobName, record } = observed;
  if (!record) {
    return {
      action: 'refuse',
      reason: `${jobName} is not managed by the control plane, so its SQL is unknown here`,
      refusal: { code: 'job-unmanaged', jobName, restoreFrom: observed.from },
    };
  }
  const live = matchFlinkJob(record, observed.flinkJobs);
  if (live && isAlive(live)) {
    return {
      action: 'refuse',
      reason: `${jobName} is running (${live.id})`,
      refusal: { code: 'job-running', jobName },
    };
  }
  return {
    action: 'restore',
    desired: {
      ...record,
      desiredState: 'running',
      allowNonRestoredState: observed.allowNonRestoredState || record.allowNonRestoredState,
    },
  };
}

/** Job names a command named that the control plane does not manage (it would silently skip them). */
export function unmanagedJobNames(
  jobNames: readonly string[],
  records: readonly Pick<JobRecord, 'jobName'>[],
): string[] {
  const managed = new Set(records.map((record) => record.jobName));
  return jobNames.filter((name) => !managed.has(name));
}
