import { createHash } from 'node:crypto';
import { type FlinkJob, splitSqlStatements } from '@apphub/flink';
import type { ControlPlane } from './context.js';
import type { JobRecord, RestoreSource } from './records.js';

/** Hash of a SQL script's statements, insensitive to blank lines and leading comments. */
export function hashSql(sql: string): string {
  return createHash('sha256').update(splitSqlStatements(sql).join(';\n')).digest('hex');
}

/** Quotes a value for a Flink SQL string literal. */
function quote(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The statements that submit `record`'s SQL as a job named after it, restored from `restore`:
 * `SET 'execution.savepoint.path'` (and `ignore-unclaimed-state` when allowed) and, after a rescale,
 * `SET 'parallelism.default'` precede the script.
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
    .filter((job) => job.name === record.jobName && !['FAILED', 'CANCELED', 'FINISHED'].includes(job.state))
    .sort((a, b) => b.startTime - a.startTime)[0];
}
