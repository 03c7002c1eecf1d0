import {
  type AutoscaleDecision,
  type AutoscaleSettings,
  autoscaleDecisionRecord,
  autoscaleHistorySince,
  autoscaleSettingDefaults,
  decideAutoscale,
} from '@apphub/control-plane';
import { type JobMoment, observationOf } from '../../support/autoscale-fixtures.js';
import { InMemoryAutoscaleDecisionStore } from '../fakes/in-memory-autoscale-decisions.js';

/** The synthesized job's capacity: records per second one subtask of each vertex handles when fully busy. */
export interface SimulatedJob {
  readonly sourceCapacity: number;
  readonly windowCapacity: number;
  readonly parallelism: number;
  readonly partitions?: number;
  readonly maxParallelism?: number;
  readonly maxTaskManagers?: number;
  readonly slotsOfOthers?: number;
  /** Records waiting when the series starts. */
  readonly backlog?: number;
}

/** One pass of the simulated autoscaler: what it saw and decided. */
export interface SimulatedPass {
  readonly minute: number;
  readonly parallelism: number;
  readonly backlog: number;
  readonly decision: AutoscaleDecision;
}

export const simulationStart = Date.parse('2026-12-01T00:00:00.000Z');

/**
 * Runs the autoscaler once a minute for `minutes` on a job fed `inputRate(minute)` records per second,
 * recording every decision in the in-memory store and reading the history from it as a pass would.
 * A rescale decision is carried out at once: the job stops for a minute (nothing processed, the input
 * piles up), then runs at the new parallelism as a new job. Per minute the job processes what it can
 * of the backlog and the input; its vertices' busy time is that rate over their capacity, and a source
 * held up by the window vertex reports the rest of its time as backpressured. `tamper` can change the
 * observed moment (noise, missing metrics) before the autoscaler sees it.
 */
export async function simulate(options: {
  readonly job: SimulatedJob;
  readonly minutes: number;
  readonly inputRate: (minute: number) => number;
  readonly settings: Partial<AutoscaleSettings>;
  readonly tamper?: (moment: JobMoment, minute: number) => JobMoment;
}): Promise<SimulatedPass[]> {
  const { job } = options;
  const settings: AutoscaleSettings = { ...defaultsOn, ...options.settings };
  const store = new InMemoryAutoscaleDecisionStore();
  const passes: SimulatedPass[] = [];
  let parallelism = job.parallelism;
  let backlog = job.backlog ?? 0;
  let jobNumber = 1;
  let startTime = simulationStart - 86_400_000;
  let restarting = false;
  for (let minute = 1; minute <= options.minutes; minute++) {
    const now = simulationStart + minute * 60_000;
    const arriving = options.inputRate(minute) * 60;
    const capacity = restarting ? 0 : parallelism * Math.min(job.sourceCapacity, job.windowCapacity) * 60;
    const processed = Math.min(backlog + arriving, capacity);
    backlog = backlog + arriving - processed;
    restarting = false;
    const rate = processed / 60;
    const sourceBusy = rate / (job.sourceCapacity * parallelism);
    const windowBusy = rate / (job.windowCapacity * parallelism);
    const heldUp = job.windowCapacity < job.sourceCapacity && windowBusy >= 0.999;
    const moment: JobMoment = {
      now,
      jobId: `job-${jobNumber}`,
      startTime,
      parallelism,
      partitions: job.partitions ?? 8,
      maxParallelism: job.maxParallelism ?? 128,
      pendingRecords: Math.round(backlog),
      source: {
        busy: sourceBusy,
        backPressured: heldUp ? 1 - sourceBusy : 0,
        recordsIn: rate,
      },
      window: { busy: windowBusy, recordsIn: rate, recordsOut: rate / 10 },
      taskManagers: Math.max(2, Math.ceil((parallelism + (job.slotsOfOthers ?? 0)) / 4)),
      maxTaskManagers: job.maxTaskManagers ?? 2,
      slotsOfOthers: job.slotsOfOthers ?? 0,
    };
    const observed = observationOf(options.tamper ? options.tamper(moment, minute) : moment);
    const history = await store.since('orders', autoscaleHistorySince(settings, now));
    const decision = decideAutoscale(observed, history, settings, now);
    await store.put(autoscaleDecisionRecord('orders', decision, settings, now));
    passes.push({ minute, parallelism, backlog, decision });
    if (decision.action !== 'none') {
      parallelism = decision.parallelism;
      jobNumber += 1;
      startTime = now + 60_000;
      restarting = true;
    }
  }
  return passes;
}

/** The platform's defaults, with autoscaling switched on. */
const defaultsOn: AutoscaleSettings = { ...autoscaleSettingDefaults, enabled: true };

/** The rescale decisions of a simulation. */
export function rescales(passes: readonly SimulatedPass[]): SimulatedPass[] {
  return passes.filter((pass) => pass.decision.action !== 'none');
}
