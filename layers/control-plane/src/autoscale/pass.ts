import { MetricName, type MetricRecorder } from '@apphub/observability';
import { type ControlPlane, forEachManagedJob } from '../context.js';
import { isAlive } from '../decisions.js';
import { matchFlinkJob } from '../deploy.js';
import { jobLease, type LeaseOutcome, type LeaseTiming, passLease, withLease } from '../lease.js';
import type { JobRecord } from '../records.js';
import { type RescaleResult, rescaleJob, type TaskManagerScaler } from '../rescale.js';
import { autoscaleDecisionRecord, autoscaleHistorySince, decideAutoscale } from './decide.js';
import { observeAutoscale } from './observation.js';
import type { AutoscaleDecisionRecord } from './records.js';
import { resolveAutoscaleSettings } from './settings.js';

/** What the autoscaler did with one job in a pass. */
export interface AutoscaleOutcome {
  readonly jobName: string;
  /** `skipped`: switched off, not running, or held by another operation; nothing was read or written. */
  readonly status: 'skipped' | 'decided' | 'rescaled' | 'failed';
  readonly detail: string;
  /** The decision recorded in this pass, when one was made. */
  readonly decision?: AutoscaleDecisionRecord | undefined;
  readonly rescale?: RescaleResult | undefined;
}

/** Options of an autoscale pass: which jobs, and the lease timing of the run. */
export interface AutoscalePassOptions extends LeaseTiming {
  readonly jobNames?: readonly string[] | undefined;
}

/**
 * One autoscale pass (observe → decide → record → act) over the managed jobs whose own switch is on,
 * while the global switch is on; with the global switch off it reads and writes nothing. Each job is
 * observed and decided under its lease, and the decision is recorded with its inputs and published
 * as the `AutoscaleParallelism` metric. A scale-up or scale-down then runs as a rescale
 * ({@link rescaleJob}): TaskManagers are added before the job restarts at the higher parallelism and
 * removed, once none of them runs tasks, before it restarts at the lower one. Single-flight: while
 * another autoscale pass holds its lease this returns `{ ran: false }`. The reconcile schedule runs it
 * on AWS, the native reconciler on a timer: the same function.
 */
export async function runAutoscale(
  plane: ControlPlane,
  scaler: TaskManagerScaler,
  options: AutoscalePassOptions = {},
): Promise<LeaseOutcome<AutoscaleOutcome[]>> {
  const store = plane.autoscaleDecisions;
  if (!plane.config.autoscale.enabled || !store) return { ran: true, value: [] };
  return withLease(plane, passLease('autoscale'), options, () =>
    forEachManagedJob(plane, options.jobNames, async (listed, metrics) => {
      try {
        return await autoscaleOne(plane, scaler, listed, metrics, options);
      } catch (error) {
        plane.logger.error('autoscale failed', { jobName: listed.jobName, error });
        return { jobName: listed.jobName, status: 'failed', detail: (error as Error).message };
      }
    }),
  );
}

async function autoscaleOne(
  plane: ControlPlane,
  scaler: TaskManagerScaler,
  listed: JobRecord,
  metrics: MetricRecorder,
  timing: LeaseTiming,
): Promise<AutoscaleOutcome> {
  const skipped = (detail: string): AutoscaleOutcome => ({
    jobName: listed.jobName,
    status: 'skipped',
    detail,
  });
  // The job's own switch is read before anything else, so a job left off costs no Flink request.
  if (!resolveAutoscaleSettings(plane.config.autoscale, listed.autoscale, listed.jobName).enabled) {
    return skipped('autoscaling is off for this job');
  }
  const held = await withLease(plane, jobLease(listed.jobName), { deadline: timing.deadline }, () =>
    decideOne(plane, scaler, listed.jobName, metrics),
  );
  if (!held.ran) return skipped(`another operation holds the job (${held.holder?.owner ?? 'unknown'})`);
  const decided = held.value;
  if (decided.status !== 'decided' || decided.decision?.action === 'none') return decided;
  const { parallelism } = decided.decision!;
  const rescaled = await rescaleJob(plane, scaler, { jobName: listed.jobName, parallelism }, timing);
  if (!rescaled.ran) {
    return { ...decided, detail: `decided ${parallelism}, but another operation took the job first` };
  }
  plane.logger.info('autoscale rescaled the job', { jobName: listed.jobName, result: rescaled.value });
  return {
    ...decided,
    status: 'rescaled',
    detail: `${rescaled.value.plan.action === 'rescale' ? `${rescaled.value.plan.fromParallelism} → ` : ''}${parallelism}`,
    rescale: rescaled.value,
  };
}

async function decideOne(
  plane: ControlPlane,
  scaler: TaskManagerScaler,
  jobName: string,
  metrics: MetricRecorder,
): Promise<AutoscaleOutcome> {
  const record = await plane.jobs.get(jobName);
  if (record?.desiredState !== 'running') {
    return { jobName, status: 'skipped', detail: 'the job is not meant to run' };
  }
  const settings = resolveAutoscaleSettings(plane.config.autoscale, record.autoscale, jobName);
  if (!settings.enabled) return { jobName, status: 'skipped', detail: 'autoscaling is off for this job' };
  const flinkJob = matchFlinkJob(record, await plane.rest.jobs());
  if (!flinkJob || !isAlive(flinkJob)) {
    return { jobName, status: 'skipped', detail: 'no live Flink job; reconcile brings it back first' };
  }
  const store = plane.autoscaleDecisions!;
  const observation = await observeAutoscale(
    { rest: plane.rest, metrics: plane.flinkMetrics },
    { jobName, jobId: flinkJob.id, maxTaskManagers: scaler.bounds.max, now: plane.now },
  );
  const now = plane.now();
  const history = await store.since(jobName, autoscaleHistorySince(settings, now));
  const decision = decideAutoscale(observation, history, settings, now);
  const stored = autoscaleDecisionRecord(jobName, decision, settings, now);
  await store.put(stored);
  metrics.add(MetricName.autoscaleParallelism, 'Count', decision.parallelism);
  plane.logger.info('autoscale decision', {
    jobName,
    action: decision.action,
    parallelism: decision.parallelism,
    reasons: decision.reasons.map((reason) => reason.code),
  });
  return {
    jobName,
    status: 'decided',
    detail: decision.reasons.map((reason) => reason.detail).join('; '),
    decision: stored,
  };
}
