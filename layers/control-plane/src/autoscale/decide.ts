import { evaluateAutoscale } from './evaluate.js';
import type { AutoscaleObservation } from './observation.js';
import type {
  AutoscaleAction,
  AutoscaleDecisionRecord,
  AutoscaleInputs,
  AutoscaleReason,
} from './records.js';
import type { AutoscaleSettings } from './settings.js';

/** What the autoscaler will do with one job. A value: deciding changes nothing. */
export interface AutoscaleDecision {
  readonly action: AutoscaleAction;
  /** The parallelism to set; the current one when the action is `none`. */
  readonly parallelism: number;
  readonly reasons: readonly AutoscaleReason[];
  /** Every number the decision was made from, recorded with it. */
  readonly inputs: AutoscaleInputs;
}

const hourMs = 3_600_000;

/**
 * Decides whether one job's parallelism changes, from this observation and the job's earlier
 * decision records (any order; their inputs are the series the rules run over):
 * - nothing while the global or the job's switch is off, or the job does not run all its tasks;
 * - nothing during the stabilization period after a rescale decision or a job (re)start;
 * - nothing on missing metrics or an unmeasurable rate;
 * - a scale-up only when every observation of the last `scaleUpDelaySeconds` asked for more (to the
 *   lowest of their parallelisms), a scale-down only when every observation of the last
 *   `scaleDownDelaySeconds` asked for less (to the highest), so a spike changes nothing;
 * - at most `maxRescalesPerHour` rescale decisions in any 60 minutes.
 */
export function decideAutoscale(
  observation: AutoscaleObservation,
  history: readonly AutoscaleDecisionRecord[],
  settings: AutoscaleSettings,
  now: number,
): AutoscaleDecision {
  const earlier = history
    .filter((record) => Date.parse(record.decidedAt) < now)
    .sort((a, b) => b.decidedAt.localeCompare(a.decidedAt));
  const previous = earlier.find((record) => record.inputs.jobId === observation.jobId);
  const { inputs, problem, notes } = evaluateAutoscale(observation, previous, settings);
  const current = inputs.currentParallelism;
  const none = (...reasons: AutoscaleReason[]): AutoscaleDecision => ({
    action: 'none',
    parallelism: current,
    reasons,
    inputs,
  });

  if (!settings.enabled) return none({ code: 'disabled', detail: 'autoscaling is off for this job' });
  if (observation.job.state !== 'RUNNING' || !observation.job.allTasksRunning) {
    return none({
      code: 'job-not-running',
      detail: `job is ${observation.job.state}${observation.job.state === 'RUNNING' ? ' but not all its tasks run yet' : ''}`,
    });
  }
  const lastRescale = earlier.find((record) => record.action !== 'none');
  const stableFrom =
    Math.max(observation.job.startTime, lastRescale ? Date.parse(lastRescale.decidedAt) : 0) +
    settings.stabilizationSeconds * 1000;
  if (now < stableFrom) {
    return none({
      code: 'stabilizing',
      detail: `metrics are only recorded until ${new Date(stableFrom).toISOString()} (${settings.stabilizationSeconds} s after ${lastRescale && Date.parse(lastRescale.decidedAt) > observation.job.startTime ? 'the last rescale decision' : 'the job started'})`,
    });
  }
  if (problem) return none(problem);
  const candidate = inputs.candidateParallelism ?? current;
  const bottleneck = inputs.vertices.find((vertex) => vertex.vertexId === inputs.bottleneckVertexId);
  if (candidate === current) {
    return none(
      ...(notes.length > 0
        ? notes
        : [
            {
              code: 'within-target' as const,
              detail: `every vertex stays between ${settings.utilizationMin} and ${settings.utilizationMax} busy at its target rate with parallelism ${current}`,
            },
          ]),
    );
  }

  const up = candidate > current;
  const delayMs = (up ? settings.scaleUpDelaySeconds : settings.scaleDownDelaySeconds) * 1000;
  // This observation and the earlier ones since the job became stable, back to the first that was
  // at least the delay ago, as long as each asked to move the same way.
  const held = [candidate];
  let heldSince = now;
  for (const record of earlier) {
    const at = Date.parse(record.decidedAt);
    const asked = record.inputs.candidateParallelism;
    if (at < stableFrom || heldSince <= now - delayMs) break;
    if (record.inputs.currentParallelism !== current || asked === undefined) break;
    if (up ? asked <= current : asked >= current) break;
    held.push(asked);
    heldSince = at;
  }
  const heldMs = now - heldSince;
  const direction = up ? 'more' : 'less';
  if (heldMs < delayMs) {
    return none(...notes, {
      code: up ? 'scale-up-pending' : 'scale-down-pending',
      detail: `asks for ${candidate} (${direction} than ${current}) for ${Math.round(heldMs / 1000)} s of the ${delayMs / 1000} s it must hold`,
    });
  }
  const target = up ? Math.min(...held) : Math.max(...held);
  const recent = earlier.filter(
    (record) => record.action !== 'none' && Date.parse(record.decidedAt) > now - hourMs,
  );
  if (recent.length >= settings.maxRescalesPerHour) {
    return none(...notes, {
      code: 'rescale-limit',
      detail: `${recent.length} rescale decisions in the last hour, the limit is ${settings.maxRescalesPerHour}; asks for ${target}`,
    });
  }
  const why = bottleneck
    ? `vertex ${bottleneck.name} would be ${formatShare(bottleneck.utilizationAtTarget)} busy at ${Math.round(bottleneck.targetRatePerSecond ?? 0)} records/s with parallelism ${current}`
    : `the job asks for ${target}`;
  return {
    action: up ? 'scale-up' : 'scale-down',
    parallelism: target,
    reasons: [
      {
        code: up ? 'scale-up' : 'scale-down',
        detail: `${why}; ${target} keeps it near ${settings.targetUtilization} (asked for ${direction} for ${Math.round(heldMs / 1000)} s)`,
      },
      ...notes,
    ],
    inputs,
  };
}

/**
 * The earliest decision time the next decision needs from the history: the longest of the delays,
 * the stabilization period and the hour of the rescale limit.
 */
export function autoscaleHistorySince(settings: AutoscaleSettings, now: number): number {
  const seconds = Math.max(
    3600,
    settings.scaleUpDelaySeconds,
    settings.scaleDownDelaySeconds,
    settings.stabilizationSeconds,
  );
  return now - seconds * 1000;
}

/** The record of a decision: what was decided, why, from which numbers, kept for the retention. */
export function autoscaleDecisionRecord(
  jobName: string,
  decision: AutoscaleDecision,
  settings: AutoscaleSettings,
  now: number,
): AutoscaleDecisionRecord {
  return {
    jobName,
    decidedAt: new Date(now).toISOString(),
    action: decision.action,
    parallelism: decision.parallelism,
    reasons: [...decision.reasons],
    inputs: decision.inputs,
    expiresAtSeconds: Math.floor(now / 1000 + settings.decisionRetentionHours * 3600),
  };
}

function formatShare(value: number | undefined): string {
  return value === undefined ? 'fully' : `${Math.round(value * 100)}%`;
}
