/** Where a job's state came from when it was (re)submitted. */
export type RestoreSource =
  | { readonly kind: 'none' }
  | { readonly kind: 'savepoint'; readonly path: string }
  | { readonly kind: 'checkpoint'; readonly path: string };

/** The restore choice of a submission, as a user states it. */
export type RestoreChoice =
  | { readonly kind: 'none' }
  | { readonly kind: 'latest-savepoint' }
  | { readonly kind: 'latest-checkpoint' }
  | { readonly kind: 'path'; readonly path: string };

/**
 * Desired state of one managed job (jobs table, partition key jobName), plus what the control plane
 * last deployed for it.
 */
export interface JobRecord {
  readonly jobName: string;
  /** `running`: keep it running; `stopped`: stopped on purpose, the reconciler leaves it alone. */
  readonly desiredState: 'running' | 'stopped';
  /** The rendered SQL script that should run. */
  readonly sql: string;
  readonly sqlHash: string;
  readonly sessionProperties: Readonly<Record<string, string>>;
  readonly allowNonRestoredState: boolean;
  /**
   * Parallelism set by a rescale (`parallelism.default` of every submission, over the session
   * properties), so resubmissions and upgrades keep it; undefined: the session's or Flink's default.
   */
  readonly parallelism: number | undefined;
  /** The Flink job last submitted for this name, and the SQL it runs (kept for rollback). */
  readonly jobId: string | undefined;
  readonly deployedSql: string | undefined;
  readonly deployedSqlHash: string | undefined;
  readonly restoreSource: RestoreSource;
  readonly submittedAt: string | undefined;
  /** Consecutive automatic resubmissions since the job last ran healthy. */
  readonly resubmitAttempts: number;
  readonly lastResubmitAt: string | undefined;
  readonly lastError: string | undefined;
  /** Counters seen by the last reconcile, so metrics report what changed since then. */
  readonly health: HealthCounters | undefined;
  readonly updatedAt: string;
}

/** Flink's cumulative counters of one job, as last observed. */
export interface HealthCounters {
  readonly jobId: string;
  readonly failedCheckpoints: number;
  readonly restarts: number;
}

/** One savepoint in a job's history (savepoints table, keys jobName + savepointId). */
export interface SavepointRecord {
  readonly jobName: string;
  /** Flink's trigger id: recording the same savepoint twice writes the same item. */
  readonly savepointId: string;
  readonly jobId: string;
  readonly status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  /** `periodic` from the schedule, `manual` from the CLI, `stop` from stop-with-savepoint. */
  readonly trigger: 'periodic' | 'manual' | 'stop';
  readonly directory: string;
  readonly location: string | undefined;
  readonly triggeredAt: string;
  readonly completedAt: string | undefined;
  readonly failureCause: string | undefined;
}
