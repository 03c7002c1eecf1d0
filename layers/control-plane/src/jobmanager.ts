import { type ClusterOverview, FlinkError } from '@apphub/flink';
import type { ControlPlane } from './context.js';
import { isJobManagerReady } from './decisions.js';
import { ControlPlaneJobManagerNotReadyError } from './errors.js';
import type { LeaseOutcome } from './lease.js';
import { type ReconcileOutcome, runReconcile } from './reconcile.js';
import { pollUntil } from './wait.js';

/** Time kept after the wait for the reconcile pass itself (resubmissions through the SQL Gateway). */
export const reconcileReserveMs = 180_000;

/** Longest wait for a JobManager without a caller deadline (the CLI, the native supervisor). */
export const jobManagerWaitMs = 300_000;

/**
 * Waits until the JobManager answers and has TaskManager slots ({@link isJobManagerReady}), polling
 * every two seconds until `until` (epoch ms). Returns its overview, or undefined on timeout.
 */
export function waitForJobManager(
  plane: Pick<ControlPlane, 'rest' | 'now' | 'sleep'>,
  until: number,
): Promise<ClusterOverview | undefined> {
  return pollUntil(
    plane,
    async () => {
      try {
        const overview = await plane.rest.overview();
        return isJobManagerReady(overview) ? overview : undefined;
      } catch (error) {
        // Not up yet (connection refused, 5xx while starting): keep waiting; anything else is a bug.
        if (error instanceof FlinkError) return undefined;
        throw error;
      }
    },
    { until, everyMs: 2_000 },
  );
}

/**
 * The JobManager was (re)started: without HA it has forgotten every job. Waits (bounded by the
 * caller's deadline, keeping {@link reconcileReserveMs} for the pass) until it is ready, then
 * reconciles every managed job, so each one resumes from its newest retained checkpoint or
 * savepoint. A reconcile pass already running is waited for, since it may have looked before the
 * JobManager was back. The Lambda (ECS task state change) and the native stack's supervisor both
 * call this.
 */
export async function reconcileAfterJobManagerStart(
  plane: ControlPlane,
  options: { readonly deadline?: number | undefined } = {},
): Promise<LeaseOutcome<ReconcileOutcome[]>> {
  const started = plane.now();
  const until =
    options.deadline === undefined ? started + jobManagerWaitMs : options.deadline - reconcileReserveMs;
  const overview = await waitForJobManager(plane, until);
  if (!overview) {
    throw new ControlPlaneJobManagerNotReadyError(
      `The JobManager at ${plane.rest.baseUrl} did not become ready (answering, with TaskManager slots) within ${Math.round((until - started) / 1000)} s; the reconcile schedule will retry`,
    );
  }
  plane.logger.info('JobManager ready; reconciling every managed job', {
    waitedMs: plane.now() - started,
    taskManagers: overview.taskManagers,
    slotsTotal: overview.slotsTotal,
  });
  return runReconcile(plane, { deadline: options.deadline, waitUntil: until });
}
