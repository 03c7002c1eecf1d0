import { parseWith, platform, z } from '@apphub/platform';
import type { ControlPlane } from './context.js';
import { isAlive, planRescale, type RescalePlan } from './decisions.js';
import { matchFlinkJob } from './deploy.js';
import {
  ControlPlaneEventInvalidError,
  ControlPlaneJobStateError,
  ControlPlaneJobUnknownError,
  ControlPlaneRescaleError,
  ControlPlaneScalingError,
} from './errors.js';
import { jobLease, type LeaseOutcome, type LeaseTiming, withLease } from './lease.js';
import type { JobRecord, RestoreSource } from './records.js';
import { refreshInFlight, stopWithSavepoint } from './savepoints.js';
import type { TaskManagerBounds } from './settings.js';
import { deployAndRecord, jobNameSchema } from './submit.js';
import { pollUntil } from './wait.js';

/**
 * Changes how many TaskManagers run. The AWS implementation sets the ECS service's desired count; the
 * local one starts and stops native TaskManagers. Waiting until Flink sees them is the caller's part.
 */
export interface TaskManagerScaler {
  /** Fewest and most TaskManagers this environment may run. */
  readonly bounds: TaskManagerBounds;
  /** TaskManagers running (or asked for) now. */
  current(): Promise<number>;
  scaleTo(count: number): Promise<void>;
}

/** The rescale request, as a Lambda event or from the CLI. */
export const rescaleRequestSchema = z.strictObject({
  jobName: jobNameSchema,
  parallelism: z.number().int().min(1).max(10_000),
});

export type RescaleRequest = z.input<typeof rescaleRequestSchema>;

/** Parses a rescale request; one line naming the bad field. */
export function parseRescaleRequest(value: unknown): z.output<typeof rescaleRequestSchema> {
  try {
    return parseWith(rescaleRequestSchema, value, 'rescale request');
  } catch (error) {
    throw new ControlPlaneEventInvalidError((error as Error).message, { cause: error });
  }
}

/** What a rescale did. */
export interface RescaleResult {
  readonly jobName: string;
  /** `rescaled`: restored with the new parallelism; `unchanged`: it already ran with it. */
  readonly action: 'rescaled' | 'unchanged';
  readonly plan: RescalePlan;
  readonly jobId: string;
  readonly parallelism: number;
  readonly savepoint: string | undefined;
}

/** How long TaskManagers may take to register (or leave) after a change of count. */
export const taskManagerWaitMs = 300_000;

/** Time kept before a caller's deadline for putting the job back when a step fails. */
const restoreReserveMs = 120_000;

/**
 * Rescales a managed job (Flink-aware scaling): under the job's lease, observe and plan
 * ({@link planRescale}); stop the job with a savepoint (recorded in the history); change the
 * TaskManager count when the plan says so and wait until Flink has that many; restore the job from
 * the savepoint with `parallelism.default` = the new parallelism, recorded in the job so reconcile and
 * upgrades keep it. If anything fails after the savepoint, the TaskManager count is set back and the
 * job is restored at its old parallelism from the same savepoint; the error is recorded and thrown.
 * While another operation holds the job, returns `{ ran: false }`.
 */
export function rescaleJob(
  plane: ControlPlane,
  scaler: TaskManagerScaler,
  input: RescaleRequest,
  timing: LeaseTiming = {},
): Promise<LeaseOutcome<RescaleResult>> {
  const request = parseRescaleRequest(input);
  return withLease(plane, jobLease(request.jobName), { deadline: timing.deadline }, () =>
    rescaleHeld(plane, scaler, request.jobName, request.parallelism, timing.deadline),
  );
}

async function rescaleHeld(
  plane: ControlPlane,
  scaler: TaskManagerScaler,
  jobName: string,
  parallelism: number,
  deadline: number | undefined,
): Promise<RescaleResult> {
  const log = plane.logger.child({ jobName, parallelism });
  const record = await plane.jobs.get(jobName);
  if (!record) {
    throw new ControlPlaneJobUnknownError(
      `Cannot rescale ${jobName}: it is not managed by the control plane`,
      {
        refusal: { code: 'job-unmanaged', jobName },
      },
    );
  }
  const listed = matchFlinkJob(record, await plane.rest.jobs());
  // Only GET /jobs/{id} reports the vertices, hence the job's parallelism.
  const flinkJob = listed && isAlive(listed) ? await plane.rest.job(listed.id) : listed;
  const history = await refreshInFlight(plane, await plane.savepoints.history(jobName));
  const [overview, taskManagers] = await Promise.all([plane.rest.overview(), scaler.current()]);
  const slotsOfJob = flinkJob && isAlive(flinkJob) ? (flinkJob.parallelism ?? 0) : 0;
  const plan = planRescale({
    record,
    flinkJob,
    savepointInFlight: history.some((entry) => entry.status === 'IN_PROGRESS'),
    targetParallelism: parallelism,
    taskManagers,
    slotsPerTaskManager: platform.flink.taskSlots,
    slotsUsedByOthers: Math.max(0, overview.slotsTotal - overview.slotsAvailable - slotsOfJob),
    bounds: scaler.bounds,
  });
  log.info('rescale plan', { plan });
  if (plan.action === 'refuse')
    throw new ControlPlaneJobStateError(`Cannot rescale ${jobName}: ${plan.reason}`);
  if (plan.action === 'none') {
    return { jobName, action: 'unchanged', plan, jobId: flinkJob!.id, parallelism, savepoint: undefined };
  }
  const savepoint = await stopWithSavepoint(plane, jobName, flinkJob!.id);
  const fromStop: RestoreSource = { kind: 'savepoint', path: savepoint.location! };
  log.info('job stopped for rescale', { savepoint: savepoint.location });
  try {
    await changeTaskManagers(plane, scaler, plan.taskManagers.from, plan.taskManagers.to, deadline);
    const deployed = await deployAndRecord(
      plane,
      { ...record, parallelism },
      fromStop,
      { resubmitAttempts: 0 },
      { recordFailure: false },
    );
    log.info('job rescaled', { jobId: deployed.jobId, taskManagers: plan.taskManagers });
    return {
      jobName,
      action: 'rescaled',
      plan,
      jobId: deployed.jobId!,
      parallelism,
      savepoint: fromStop.path,
    };
  } catch (error) {
    log.error('rescale failed; restoring the job at its old parallelism', { error });
    throw await restoreAfterFailure(plane, scaler, record, plan, fromStop, error, deadline);
  }
}

/**
 * Puts the job back as it was after a failed rescale: the old TaskManager count (best effort: the old
 * parallelism may fit anyway), then the old SQL and parallelism from the rescale's savepoint. Returns
 * the error to throw, saying whether the job runs again.
 */
async function restoreAfterFailure(
  plane: ControlPlane,
  scaler: TaskManagerScaler,
  record: JobRecord,
  plan: Extract<RescalePlan, { action: 'rescale' }>,
  fromStop: Extract<RestoreSource, { kind: 'savepoint' }>,
  failure: unknown,
  deadline: number | undefined,
): Promise<ControlPlaneRescaleError> {
  const what = `Rescale of ${record.jobName} to parallelism ${plan.toParallelism} failed: ${(failure as Error).message}`;
  try {
    await changeTaskManagers(plane, scaler, await scaler.current(), plan.taskManagers.from, deadline);
  } catch (error) {
    plane.logger.warn('could not set the TaskManager count back; restoring anyway', { error });
  }
  try {
    const restored = await deployAndRecord(
      plane,
      record,
      fromStop,
      { resubmitAttempts: 0 },
      { recordFailure: true },
    );
    await plane.jobs.put({ ...restored, lastError: what });
    return new ControlPlaneRescaleError(
      `${what}; the job runs again at parallelism ${plan.fromParallelism} (job ${restored.jobId}) from ${fromStop.path}`,
      { cause: failure },
    );
  } catch (error) {
    return new ControlPlaneRescaleError(
      `${what}; restoring it at parallelism ${plan.fromParallelism} failed too (${(error as Error).message}); reconcile resubmits it from ${fromStop.path}`,
      { cause: failure },
    );
  }
}

/** Sets the TaskManager count and waits until Flink has exactly that many registered. */
async function changeTaskManagers(
  plane: ControlPlane,
  scaler: TaskManagerScaler,
  from: number,
  to: number,
  deadline: number | undefined,
): Promise<void> {
  if (from === to) return;
  if (to < from) {
    // A TaskManager with a slot taken runs tasks; the count never drops below how many do.
    const busy = (await plane.rest.taskManagers()).filter((tm) => tm.freeSlots < tm.slots);
    if (busy.length > to) {
      throw new ControlPlaneScalingError(
        `Cannot scale in to ${to} TaskManagers: ${busy.length} still run tasks (${busy.map((tm) => tm.id).join(', ')})`,
      );
    }
  }
  plane.logger.info('changing the TaskManager count', { from, to });
  await scaler.scaleTo(to);
  const started = plane.now();
  const until = Math.min(
    started + taskManagerWaitMs,
    (deadline ?? Number.POSITIVE_INFINITY) - restoreReserveMs,
  );
  const registered = await pollUntil(
    plane,
    async () => {
      const overview = await plane.rest.overview();
      return overview.taskManagers === to ? overview : undefined;
    },
    { until, everyMs: 2_000 },
  );
  if (!registered) {
    const seen = (await plane.rest.overview()).taskManagers;
    throw new ControlPlaneScalingError(
      `Flink has ${seen} TaskManagers registered, not ${to}, ${Math.round((plane.now() - started) / 1000)} s after the count was changed`,
    );
  }
}
