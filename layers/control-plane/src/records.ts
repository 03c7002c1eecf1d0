import { describeIssues, z } from '@apphub/platform';
import { type AutoscaleJobSettings, autoscaleJobSettingsSchema } from './autoscale/settings.js';
import { ControlPlaneRecordInvalidError } from './errors.js';

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
  /** The job's own autoscaler settings; undefined: not autoscaled (see resolveAutoscaleSettings). */
  readonly autoscale: AutoscaleJobSettings | undefined;
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

const restoreSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('savepoint'), path: z.string() }),
  z.object({ kind: z.literal('checkpoint'), path: z.string() }),
]);

/**
 * A jobs-table item as stored. Fields an item written by an older version may lack get their
 * defaults; unknown attributes are dropped.
 */
const jobItem = z.object({
  jobName: z.string(),
  desiredState: z.enum(['running', 'stopped']).default('running'),
  sql: z.string().default(''),
  sqlHash: z.string().default(''),
  sessionProperties: z.record(z.string(), z.string()).default({}),
  allowNonRestoredState: z.boolean().default(false),
  parallelism: z.number().optional(),
  autoscale: autoscaleJobSettingsSchema.optional(),
  jobId: z.string().optional(),
  deployedSql: z.string().optional(),
  deployedSqlHash: z.string().optional(),
  restoreSource: restoreSourceSchema.default({ kind: 'none' }),
  submittedAt: z.string().optional(),
  resubmitAttempts: z.number().default(0),
  lastResubmitAt: z.string().optional(),
  lastError: z.string().optional(),
  health: z.object({ jobId: z.string(), failedCheckpoints: z.number(), restarts: z.number() }).optional(),
  updatedAt: z.string().default(new Date(0).toISOString()),
});

/** A savepoints-table item as stored; unknown attributes are dropped. */
const savepointItem = z.object({
  jobName: z.string(),
  savepointId: z.string(),
  jobId: z.string(),
  status: z.enum(['IN_PROGRESS', 'COMPLETED', 'FAILED']),
  trigger: z.enum(['periodic', 'manual', 'stop']),
  directory: z.string(),
  location: z.string().optional(),
  triggeredAt: z.string(),
  completedAt: z.string().optional(),
  failureCause: z.string().optional(),
});

/**
 * Parses an item read from `table`; `key` names it (`jobName=x`). An item without the record's
 * layout throws ControlPlaneRecordInvalidError naming the table, the key and each bad field.
 */
export function parseRecord<Schema extends z.ZodType>(
  schema: Schema,
  item: Record<string, unknown>,
  what: string,
  where: { readonly table: string; readonly key: string },
): z.output<Schema> {
  const result = schema.safeParse(item);
  if (result.success) return result.data;
  throw new ControlPlaneRecordInvalidError(
    `item ${where.key} of table ${where.table} is not ${what}: ${describeIssues(result.error)}; fix or delete the item`,
    { cause: result.error },
  );
}

/** A jobs-table item as a JobRecord (every field named, absent ones undefined). */
export function parseJobRecord(item: Record<string, unknown>, table: string): JobRecord {
  return toJobRecord(
    parseRecord(jobItem, item, 'a job record', {
      table,
      key: `jobName=${String(item.jobName)}`,
    }),
  );
}

/** The record of a job never submitted: every field at the default an older item gets. */
export function newJobRecord(jobName: string): JobRecord {
  return toJobRecord(jobItem.parse({ jobName }));
}

function toJobRecord(parsed: z.output<typeof jobItem>): JobRecord {
  return {
    ...parsed,
    parallelism: parsed.parallelism,
    autoscale: parsed.autoscale,
    jobId: parsed.jobId,
    deployedSql: parsed.deployedSql,
    deployedSqlHash: parsed.deployedSqlHash,
    submittedAt: parsed.submittedAt,
    lastResubmitAt: parsed.lastResubmitAt,
    lastError: parsed.lastError,
    health: parsed.health,
  };
}

/** A savepoints-table item as a SavepointRecord (every field named, absent ones undefined). */
export function parseSavepointRecord(item: Record<string, unknown>, table: string): SavepointRecord {
  const parsed = parseRecord(savepointItem, item, 'a savepoint record', {
    table,
    key: `jobName=${String(item.jobName)}, savepointId=${String(item.savepointId)}`,
  });
  return {
    ...parsed,
    location: parsed.location,
    completedAt: parsed.completedAt,
    failureCause: parsed.failureCause,
  };
}
