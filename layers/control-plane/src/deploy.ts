import { createHash } from 'node:crypto';
import { type FlinkJob, isTerminal, splitSqlStatements } from '@apphub/flink';
import { platform } from '@apphub/platform';
import type { ControlPlane } from './context.js';
import type { JobRecord, RestoreSource } from './records.js';

/** Hash of a SQL script's statements, insensitive to blank lines and leading comments. */
export function hashSql(sql: string): string {
  return createHash('sha256').update(splitSqlStatements(sql).join(';\n')).digest('hex');
}

/**
 * Checkpoints a job keeps when it ends other than by finishing. A JobManager without HA that shuts
 * down (an ECS deploy) suspends its jobs, and only a retained checkpoint survives that, so reconcile
 * can restore every managed job from its latest one. The value is the platform's own setting.
 */
export const checkpointRetentionKey = 'execution.checkpointing.externalized-checkpoint-retention';
const retainedCheckpoints = platform.flink.settings[checkpointRetentionKey] ?? 'RETAIN_ON_CANCELLATION';

/** Quotes a value for a Flink SQL string literal. */
function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The statements that submit `record`'s SQL as a job named after it, restored from `restore`: the
 * platform's checkpoint retention, `SET 'execution.savepoint.path'` (and `ignore-unclaimed-state`
 * when allowed) and, after a rescale, `SET 'parallelism.default'` precede the script.
 */
export function deploymentStatements(
  record: Pick<JobRecord, 'jobName' | 'sql' | 'allowNonRestoredState'> &
    Partial<Pick<JobRecord, 'parallelism'>>,
  restore: RestoreSource,
): string[] {
  const restoreStatements =
    restore.kind === 'none'
      ? []
      : [
          `SET 'execution.savepoint.path' = ${quote(restore.path)}`,
          ...(record.allowNonRestoredState
            ? ["SET 'execution.savepoint.ignore-unclaimed-state' = 'true'"]
            : []),
        ];
  return [
    `SET 'pipeline.name' = ${quote(record.jobName)}`,
    `SET '${checkpointRetentionKey}' = ${quote(retainedCheckpoints)}`,
    ...restoreStatements,
    ...(record.parallelism === undefined
      ? []
      : [`SET 'parallelism.default' = ${quote(String(record.parallelism))}`]),
    ...splitSqlStatements(record.sql),
  ];
}

/** Submits the record's SQL through a fresh SQL Gateway session and returns the new Flink job id. */
export async function deploy(
  plane: ControlPlane,
  record: JobRecord,
  restore: RestoreSource,
): Promise<string> {
  const { jobId } = await plane.gateway.runStatements(deploymentStatements(record, restore), {
    sessionProperties: record.sessionProperties,
    sessionName: record.jobName,
  });
  plane.logger.info('job submitted', { jobName: record.jobName, jobId, restore });
  return jobId;
}

/** The Flink job of a record: by recorded id, else the live job carrying its name. */
export function matchFlinkJob(
  record: Pick<JobRecord, 'jobName' | 'jobId'>,
  flinkJobs: readonly FlinkJob[],
): FlinkJob | undefined {
  const byId = record.jobId ? flinkJobs.find((job) => job.id === record.jobId) : undefined;
  if (byId) return byId;
  return flinkJobs
    .filter((job) => job.name === record.jobName && !isTerminal(job.state))
    .sort((a, b) => b.startTime - a.startTime)[0];
}

/**
 * Why a submission could not be restored after a JobManager loss, or undefined: a session property or
 * a SET in the script that changes the checkpoint retention the control plane relies on.
 */
export function unrestorableReason(
  sql: string,
  sessionProperties: Readonly<Record<string, string>>,
): string | undefined {
  const session = sessionProperties[checkpointRetentionKey];
  if (session !== undefined && session !== retainedCheckpoints) {
    return `session property ${checkpointRetentionKey} must stay ${retainedCheckpoints}`;
  }
  const setsRetention = new RegExp(`^SET\\s+'${checkpointRetentionKey.replaceAll('.', '\\.')}'`, 'i');
  if (splitSqlStatements(sql).some((statement) => setsRetention.test(statement.trim()))) {
    return `the script must not SET ${checkpointRetentionKey}`;
  }
  return undefined;
}
