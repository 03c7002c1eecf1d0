import { renderSqlTemplate, type SqlTemplateValue, splitSqlStatements, sqlOptions } from '@apphub/flink';
import { flinkKafkaTableOptions, parseWith, z } from '@apphub/platform';
import { autoscaleJobSettingsSchema } from './autoscale/settings.js';
import type { ControlPlane } from './context.js';
import { isAlive } from './decisions.js';
import { deploy, hashSql, matchFlinkJob, unrestorableReason } from './deploy.js';
import { ControlPlaneEventInvalidError, ControlPlaneJobStateError } from './errors.js';
import { type JobRecord, newJobRecord, type RestoreChoice, type RestoreSource } from './records.js';
import { resolveRestoreChoice } from './restore.js';
import { refreshInFlight, stopWithSavepoint } from './savepoints.js';

/** Job names become directory names and Flink pipeline names: letters, digits, '.', '_' and '-'. */
export const jobNameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
    "expected 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit",
  );

const restoreChoiceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('none') }),
  z.strictObject({ kind: z.literal('latest-savepoint') }),
  z.strictObject({ kind: z.literal('latest-checkpoint') }),
  z.strictObject({
    kind: z.literal('path'),
    path: z.string().regex(/^(file|s3a?):\/?\/?.+/, 'expected file:// or s3://'),
  }),
]);

/** The submit-sql request, as a Lambda event or from the CLI. */
export const submitSqlRequestSchema = z.strictObject({
  jobName: jobNameSchema,
  sqlTemplate: z.string().min(1),
  variables: z.record(z.string(), z.string()).default({}),
  /** Unset: a new job starts fresh, a running job is upgraded from its stop savepoint. */
  restore: restoreChoiceSchema.optional(),
  allowNonRestoredState: z.boolean().default(false),
  sessionProperties: z.record(z.string(), z.string()).default({}),
  /** The job's autoscaler settings (docs/control-plane.md#settings); unset keeps what the job had. */
  autoscale: autoscaleJobSettingsSchema.optional(),
});

export type SubmitSqlRequest = z.input<typeof submitSqlRequestSchema>;

/** What submit-sql did. */
export interface SubmitSqlResult {
  readonly jobName: string;
  readonly jobId: string;
  /** `submitted`: a new job; `unchanged`: the same SQL already runs; `upgraded`: stopped with a savepoint and resubmitted. */
  readonly action: 'submitted' | 'unchanged' | 'upgraded';
  readonly sqlHash: string;
  readonly restoreSource: RestoreSource;
}

/** Parses a submit-sql request; one line naming the bad field. */
export function parseSubmitSqlRequest(value: unknown): z.output<typeof submitSqlRequestSchema> {
  try {
    return parseWith(submitSqlRequestSchema, value, 'submit-sql request');
  } catch (error) {
    throw new ControlPlaneEventInvalidError((error as Error).message, { cause: error });
  }
}

/**
 * The variables the control plane itself gives every template, from its environment: the Kafka
 * bootstrap servers (BROKERS) and the Kafka security as table options (KAFKA_CLIENT_OPTIONS), so one
 * template runs unchanged in every environment and a caller cannot weaken the security settings.
 */
export function platformVariables(plane: ControlPlane): Record<string, SqlTemplateValue> {
  const kafka = plane.config.kafka;
  if (!kafka) return {};
  return {
    BROKERS: kafka.bootstrapServers,
    KAFKA_CLIENT_OPTIONS: sqlOptions(flinkKafkaTableOptions(kafka.security)),
  };
}

/** Renders a request's template with the platform's variables and its own. */
export function renderRequestSql(
  plane: ControlPlane,
  jobName: string,
  template: string,
  variables: Readonly<Record<string, string>>,
): string {
  const owned = platformVariables(plane);
  const clashing = Object.keys(variables).filter((name) => Object.hasOwn(owned, name));
  if (clashing.length > 0) {
    throw new ControlPlaneEventInvalidError(
      `submit-sql request for ${jobName} sets ${clashing.join(', ')}, which the control plane sets from its environment (APPHUB_KAFKA_*)`,
    );
  }
  return renderSqlTemplate(template, { ...owned, ...variables });
}

/**
 * Renders the template (missing variables fail before anything is contacted), then submits the job
 * with the chosen restore, or upgrades it (stop-with-savepoint, resubmit) when it already runs with
 * other SQL, and records the desired state.
 */
export async function submitSql(plane: ControlPlane, input: SubmitSqlRequest): Promise<SubmitSqlResult> {
  const request = parseSubmitSqlRequest(input);
  const sql = renderRequestSql(plane, request.jobName, request.sqlTemplate, request.variables);
  if (splitSqlStatements(sql).length === 0) {
    throw new ControlPlaneEventInvalidError(`SQL template of ${request.jobName} has no statements`);
  }
  // Reconcile must be able to restore every managed job from its latest retained checkpoint.
  const unrestorable = unrestorableReason(sql, request.sessionProperties);
  if (unrestorable) {
    throw new ControlPlaneEventInvalidError(
      `${request.jobName} could not be restored after a JobManager loss: ${unrestorable}`,
    );
  }
  const sqlHash = hashSql(sql);
  const existing = await plane.jobs.get(request.jobName);
  const live = matchFlinkJob({ jobName: request.jobName, jobId: existing?.jobId }, await plane.rest.jobs());
  if (live && isAlive(live) && !existing) {
    throw new ControlPlaneJobStateError(
      `A Flink job named ${request.jobName} already runs (${live.id}) but is not managed here; cancel it or choose another name`,
    );
  }
  const desired: JobRecord = {
    ...(existing ?? newJobRecord(request.jobName)),
    jobName: request.jobName,
    desiredState: 'running',
    sql,
    sqlHash,
    sessionProperties: request.sessionProperties,
    allowNonRestoredState: request.allowNonRestoredState,
    autoscale: request.autoscale ?? existing?.autoscale,
    updatedAt: new Date(plane.now()).toISOString(),
  };
  if (live && isAlive(live)) {
    if (desired.deployedSqlHash === sqlHash) {
      await plane.jobs.put(desired);
      return {
        jobName: desired.jobName,
        jobId: live.id,
        action: 'unchanged',
        sqlHash,
        restoreSource: desired.restoreSource,
      };
    }
    const upgraded = await upgradeJob(plane, desired, live.id, request.restore);
    return {
      jobName: desired.jobName,
      jobId: upgraded.jobId!,
      action: 'upgraded',
      sqlHash,
      restoreSource: upgraded.restoreSource,
    };
  }
  const restoreSource = await resolveRestoreChoice(
    plane,
    request.jobName,
    existing?.jobId,
    request.restore ?? { kind: 'none' },
  );
  // A first submission that fails records nothing: the caller sees the error, reconcile has nothing to retry.
  const deployed = await deployAndRecord(
    plane,
    desired,
    restoreSource,
    { resubmitAttempts: 0 },
    { recordFailure: false },
  );
  return { jobName: deployed.jobName, jobId: deployed.jobId!, action: 'submitted', sqlHash, restoreSource };
}

/**
 * Upgrades a running job to the record's SQL: stop-with-savepoint, then resubmit from that savepoint
 * (or from the path / nothing when the choice says so). An in-flight savepoint blocks the upgrade.
 * When the new SQL fails to submit, the previous SQL is resubmitted from the same savepoint and the
 * error is re-thrown, so a bad upgrade never leaves the job stopped.
 */
export async function upgradeJob(
  plane: ControlPlane,
  record: JobRecord,
  runningJobId: string,
  choice: RestoreChoice = { kind: 'latest-savepoint' },
): Promise<JobRecord> {
  const history = await refreshInFlight(plane, await plane.savepoints.history(record.jobName));
  if (history.some((entry) => entry.status === 'IN_PROGRESS')) {
    throw new ControlPlaneJobStateError(
      `Cannot upgrade ${record.jobName}: a savepoint is in flight; retry when it completes`,
    );
  }
  const savepoint = await stopWithSavepoint(plane, record.jobName, runningJobId);
  const fromStop: RestoreSource = { kind: 'savepoint', path: savepoint.location! };
  const restoreSource: RestoreSource =
    choice.kind === 'none'
      ? { kind: 'none' }
      : choice.kind === 'path'
        ? await resolveRestoreChoice(plane, record.jobName, runningJobId, choice)
        : fromStop;
  plane.logger.info('job stopped for upgrade', { jobName: record.jobName, savepoint: savepoint.location });
  try {
    return await deployAndRecord(
      plane,
      record,
      restoreSource,
      { resubmitAttempts: 0 },
      { recordFailure: false },
    );
  } catch (error) {
    if (!record.deployedSql) throw error;
    const rollback: JobRecord = {
      ...record,
      sql: record.deployedSql,
      sqlHash: record.deployedSqlHash ?? hashSql(record.deployedSql),
    };
    await deployAndRecord(plane, rollback, fromStop, { resubmitAttempts: 0 }, { recordFailure: true });
    await plane.jobs.put({
      ...(await plane.jobs.get(record.jobName))!,
      lastError: `upgrade failed: ${(error as Error).message}`,
    });
    throw new ControlPlaneJobStateError(
      `Upgrade of ${record.jobName} failed: ${(error as Error).message}; the previous SQL was resubmitted from ${savepoint.location}`,
      { cause: error },
    );
  }
}

/** Deploys the record's SQL and stores the outcome; a failure is re-thrown (and stored as lastError when asked). */
export async function deployAndRecord(
  plane: ControlPlane,
  record: JobRecord,
  restoreSource: RestoreSource,
  attempts: { resubmitAttempts: number; lastResubmitAt?: string },
  options: { recordFailure: boolean },
): Promise<JobRecord> {
  const now = new Date(plane.now()).toISOString();
  try {
    const jobId = await deploy(plane, record, restoreSource);
    const deployed: JobRecord = {
      ...record,
      jobId,
      deployedSql: record.sql,
      deployedSqlHash: record.sqlHash,
      restoreSource,
      submittedAt: now,
      resubmitAttempts: attempts.resubmitAttempts,
      lastResubmitAt: attempts.lastResubmitAt ?? record.lastResubmitAt,
      lastError: undefined,
      updatedAt: now,
    };
    await plane.jobs.put(deployed);
    return deployed;
  } catch (error) {
    if (!options.recordFailure) throw error;
    await plane.jobs.put({
      ...record,
      resubmitAttempts: attempts.resubmitAttempts,
      lastResubmitAt: attempts.lastResubmitAt ?? record.lastResubmitAt,
      lastError: (error as Error).message,
      updatedAt: now,
    });
    throw error;
  }
}
