import {
  type AutoscaleDecisionRecord,
  type AutoscaleSettings,
  alignToKeyGroups,
  autoscaleDecisionRecord,
  autoscaleSettingDefaults,
  decideAutoscale,
  resolveAutoscaleSettings,
} from '@apphub/control-plane';
import { seededRandom } from '@apphub/sample';
import { describe, expect, it } from 'vitest';
import { type JobMoment, observationOf, SOURCE, WINDOW } from '../../support/autoscale-fixtures.js';
import { rescales, simulate, simulationStart } from './autoscale-simulation.js';

const on: AutoscaleSettings = { ...autoscaleSettingDefaults, enabled: true };
/** On, and acting on a single observation (no delay before a scale-up). */
const onNow: AutoscaleSettings = { ...on, scaleUpDelaySeconds: 0 };
const now = Date.parse('2026-12-01T12:00:00.000Z');

/** The sample job's shape at 1,000 records/s per window subtask: 4x as much per source subtask. */
const sampleLike = { sourceCapacity: 4_000, windowCapacity: 1_000, parallelism: 2 };

/**
 * One observation of the sample-like job (window subtasks of 1,000 records/s, source subtasks of
 * 4,000) reading `rate` records/s, at most what its window subtasks can do; `pendingRecords` of backlog.
 */
function loaded(rate: number, parallelism: number, extra: Partial<JobMoment> = {}): JobMoment {
  const read = Math.min(rate, 1_000 * parallelism);
  return {
    now,
    parallelism,
    pendingRecords: 0,
    source: { busy: read / (4_000 * parallelism), recordsIn: read },
    window: { busy: read / (1_000 * parallelism), recordsIn: read, recordsOut: read / 10 },
    ...extra,
  };
}

/**
 * The job at full speed on 2 subtasks (2,000 records/s, window 100 % busy) with a backlog: its target
 * rate is 2,000 + (backlog + 2,000 x 300 s restart) / 1,800 s catch-up, at 700 records/s per subtask.
 */
const asksFor5 = loaded(2_000, 2, { pendingRecords: 1_440_000 });
const asksFor32 = loaded(2_000, 2, { pendingRecords: 36_000_000 });

function decideOnce(
  moment: JobMoment,
  settings: Partial<AutoscaleSettings> = {},
  history: AutoscaleDecisionRecord[] = [],
) {
  return decideAutoscale(
    observationOf(moment),
    history,
    { ...on, scaleUpDelaySeconds: 0, ...settings },
    moment.now,
  );
}

const codes = (decision: { readonly reasons: readonly { readonly code: string }[] }) =>
  decision.reasons.map((reason) => reason.code);

describe('decideAutoscale on synthesized metric series', () => {
  it('follows a ramp-up with scale-ups only, each after the requirement held for the delay, key-group aligned', async () => {
    // Prepare: 600 records/s rising by 40 each minute to 5,400 after two hours.
    const passes = await simulate({
      job: sampleLike,
      minutes: 120,
      inputRate: (minute) => 600 + 40 * minute,
      settings: {},
    });

    // Assess
    const made = rescales(passes);
    expect(made.map((pass) => [pass.decision.action, pass.decision.parallelism])).toEqual([
      ['scale-up', 4],
      ['scale-up', 8],
    ]);
    const firstAsk = passes.find((pass) => codes(pass.decision).includes('scale-up-pending'))!;
    expect(made[0]!.minute - firstAsk.minute).toBe(5);
    expect(made.every((pass) => 128 % pass.decision.parallelism === 0)).toBe(true);
    // At the end the job keeps up: the backlog the restarts left is read again.
    expect(passes.at(-1)!.backlog).toBe(0);
  });

  it('does not rescale for a two-minute spike: the requirement does not hold for the delay', async () => {
    // Prepare: 1,000 records/s, 5,000 during minutes 30 and 31.
    const passes = await simulate({
      job: sampleLike,
      minutes: 180,
      inputRate: (minute) => (minute === 30 || minute === 31 ? 5_000 : 1_000),
      settings: {},
    });

    // Assess
    expect(rescales(passes)).toEqual([]);
    expect(codes(passes[29]!.decision)).toEqual(['scale-up-pending']);
    expect(codes(passes[31]!.decision)).toEqual(['within-target']);
    expect(passes.at(-1)!.backlog).toBe(0);
  });

  it('leaves a steady, noisy load alone for a day', async () => {
    // Prepare: 1,000 records/s +-15 % on a job that runs half busy.
    const random = seededRandom(42);
    const passes = await simulate({
      job: sampleLike,
      minutes: 24 * 60,
      inputRate: () => 1_000 * (0.85 + 0.3 * random()),
      settings: {},
    });

    // Assess
    expect(rescales(passes)).toEqual([]);
    expect(new Set(passes.map((pass) => codes(pass.decision).join()))).toEqual(new Set(['within-target']));
  });

  it('rescales a steady load once and then stays', async () => {
    // Prepare: 2,500 records/s on 2 subtasks of 1,000 each.
    const passes = await simulate({
      job: sampleLike,
      minutes: 24 * 60,
      inputRate: () => 2_500,
      settings: {},
    });

    // Assess
    expect(rescales(passes).map((pass) => [pass.minute, pass.decision.parallelism])).toEqual([[6, 4]]);
    expect(codes(passes.at(-1)!.decision)).toEqual(['within-target']);
  });

  it('keeps a parallelism whose lower requirement does not fit the key groups: no churn between the two', async () => {
    // Prepare: 2,500 records/s would keep 5 subtasks of 1,000 near 0.7, but 5 does not divide 128
    // and the divisor at or above it is the current 8.
    const passes = await simulate({
      job: { ...sampleLike, parallelism: 8 },
      minutes: 24 * 60,
      inputRate: () => 2_500,
      settings: {},
    });

    // Assess
    expect(rescales(passes)).toEqual([]);
    expect(codes(passes.at(-1)!.decision)).toEqual(['alignment-blocked']);
    expect(passes.at(-1)!.decision.inputs.requiredParallelism).toBe(5);
  });

  it('does not rescale on busy time that jumps across the thresholds from one minute to the next', async () => {
    // Prepare: the window's busy time reads anywhere between 20 % and 80 % each minute.
    const random = seededRandom(7);
    const passes = await simulate({
      job: sampleLike,
      minutes: 24 * 60,
      inputRate: () => 1_000,
      settings: {},
      tamper: (moment) => ({ ...moment, window: { ...moment.window, busy: 0.2 + 0.6 * random() } }),
    });

    // Assess: single minutes above 0.9 and below 0.4 at the target rate, but never for the delays.
    const asked = new Set(passes.flatMap((pass) => codes(pass.decision)));
    expect(asked).toContain('scale-up-pending');
    expect(asked).toContain('scale-down-pending');
    expect(rescales(passes)).toEqual([]);
  });

  it('decides nothing on a missing busy time, and a gap restarts the delay', async () => {
    // Prepare: a load that needs more than 2 subtasks; every 4th minute the busy time is not reported.
    const overloaded = { job: sampleLike, minutes: 30, inputRate: () => 2_000, settings: {} };
    const gaps = (moment: JobMoment, minute: number) =>
      minute % 4 === 0 ? { ...moment, window: { ...moment.window, busy: Number.NaN } } : moment;

    // Act
    const complete = await simulate(overloaded);
    const withGaps = await simulate({ ...overloaded, tamper: gaps });

    // Assess
    expect(rescales(complete)[0]?.minute).toBe(6);
    expect(rescales(withGaps)).toEqual([]);
    expect(codes(withGaps[3]!.decision)).toEqual(['metrics-missing']);
    expect(withGaps[3]!.decision.reasons[0]!.detail).toContain('busyTimeMsPerSecond');
  });

  it('never scales an idle source up, and scales it down to the minimum once the delay has passed', async () => {
    // Prepare: no input, no backlog, four subtasks.
    const passes = await simulate({
      job: { ...sampleLike, parallelism: 4 },
      minutes: 6 * 60,
      inputRate: () => 0,
      settings: {},
    });

    // Assess
    const made = rescales(passes);
    expect(made.map((pass) => [pass.minute, pass.decision.action, pass.decision.parallelism])).toEqual([
      [61, 'scale-down', 1],
    ]);
  });

  it('holds a source with pending records that reads none', () => {
    const decision = decideOnce(loaded(0, 2, { pendingRecords: 50_000 }));

    expect(decision.action).toBe('none');
    expect(codes(decision)).toEqual(['rate-unknown']);
    const source = decision.inputs.vertices.find((vertex) => vertex.vertexId === SOURCE)!;
    expect(source.requiredParallelism).toBe(2);
  });

  describe('a source whose rate meters show nothing yet', () => {
    // Seconds where the defaults wait minutes: the backlog is to be read within 10 s.
    const quick = { ...onNow, catchUpSeconds: 10, restartSeconds: 5, scaleDownDelaySeconds: 30 };
    /** The job reading a backlog flat out, as Flink reports it in the first seconds: busy, and no rates yet. */
    const unmetered = (at: number, pendingRecords: number, parallelism = 1): JobMoment => ({
      now: at,
      parallelism,
      pendingRecords,
      source: { busy: 1, recordsIn: 0, recordsOut: 0 },
      window: { busy: 1, recordsIn: 0, recordsOut: 0 },
    });
    /** Decides each moment in turn, every earlier decision in the history. */
    const series = (moments: readonly JobMoment[], settings: AutoscaleSettings) => {
      const history: AutoscaleDecisionRecord[] = [];
      return moments.map((moment) => {
        const decision = decideAutoscale(observationOf(moment), history, settings, moment.now);
        history.push(autoscaleDecisionRecord('orders', decision, settings, moment.now));
        return decision;
      });
    };

    it('scales up from the rate its backlog fell when that is too slow to catch up in time', () => {
      // Prepare: 3,260,000 pending, 15 s later 1,760,000: it reads about 100,000 a second, and
      // 1,760,000 within 10 s needs 176,000.
      const moments = [unmetered(now, 3_260_000), unmetered(now + 15_000, 1_760_000)];

      // Act
      const [first, second] = series(moments, quick);

      // Assess: the first cannot tell a rate and holds; the second asks ceil(176,000 / 70,000) = 3,
      // aligned to 4 for 128 key groups.
      expect(codes(first!)).toEqual(['rate-unknown']);
      expect(second).toMatchObject({ action: 'scale-up', parallelism: 4 });
      expect(second!.inputs.bottleneckVertexId).toBe(SOURCE);
      const source = second!.inputs.vertices.find((vertex) => vertex.vertexId === SOURCE)!;
      expect(source.backlogFallPerSecond).toBe(100_000);
      expect(source.trueRatePerSubtask).toBe(100_000);
      expect(source.targetRatePerSecond).toBe(176_000);
      expect(source.requiredParallelism).toBe(3);
    });

    it('keeps the parallelism while the backlog falls fast enough to be read within the catch-up time', () => {
      // Prepare: 1,000,000 pending, 15 s later 250,000: 50,000 a second, and 25,000 a second would do.
      const moments = [unmetered(now, 1_000_000, 2), unmetered(now + 15_000, 250_000, 2)];

      // Act
      const [, second] = series(moments, quick);

      // Assess: 50 % busy at the target is inside the band; an estimated rate never asks for less.
      expect(second).toMatchObject({ action: 'none', parallelism: 2 });
      expect(codes(second!)).toEqual(['within-target']);
      const source = second!.inputs.vertices.find((vertex) => vertex.vertexId === SOURCE)!;
      expect(source.utilizationAtTarget).toBeCloseTo(0.5);
      expect(source.requiredParallelism).toBe(2);
    });

    it('never scales down while its backlog does not fall, however long that lasts', () => {
      // Prepare: 4 subtasks, 500,000 pending and no rate for two minutes, four times the scale-down delay.
      const moments = Array.from({ length: 9 }, (_, index) => unmetered(now + index * 15_000, 500_000, 4));

      // Act
      const decisions = series(moments, quick);

      // Assess
      expect(decisions.map((decision) => [decision.action, decision.parallelism])).toEqual(
        moments.map(() => ['none', 4]),
      );
      expect(decisions.every((decision) => codes(decision).includes('rate-unknown'))).toBe(true);
    });
  });

  it('lets no vertex held up by its downstream ask for more: busy time counts, backpressured time does not', () => {
    // Prepare: the source spends 90 % of its time backpressured, 5 % busy; the window runs 60 % busy.
    const heldUp = loaded(1_000, 2, {
      source: { busy: 0.05, backPressured: 0.9, recordsIn: 1_000 },
      window: { busy: 0.6, recordsIn: 1_000 },
    });
    const busySource = { ...heldUp, source: { busy: 0.95, backPressured: 0, recordsIn: 1_000 } };

    // Act
    const decision = decideOnce(heldUp);
    const control = decideOnce(busySource);

    // Assess
    expect(codes(decision)).toEqual(['within-target']);
    const source = decision.inputs.vertices.find((vertex) => vertex.vertexId === SOURCE)!;
    expect(source.requiredParallelism).toBeLessThanOrEqual(2);
    expect(source.backPressuredRatio).toBe(0.9);
    expect(control.action).toBe('scale-up');
    expect(control.inputs.bottleneckVertexId).toBe(SOURCE);
  });

  it('scales a job whose window vertex holds the source back for the window vertex, not the source', async () => {
    // Prepare: 2,400 records/s on 2 window subtasks of 1,000: the window runs full, the source waits.
    const passes = await simulate({ job: sampleLike, minutes: 20, inputRate: () => 2_400, settings: {} });

    // Assess
    const [first] = rescales(passes);
    expect(first?.decision).toMatchObject({ action: 'scale-up', parallelism: 4 });
    expect(first!.decision.inputs.bottleneckVertexId).toBe(WINDOW);
    const source = first!.decision.inputs.vertices.find((vertex) => vertex.vertexId === SOURCE)!;
    expect(source.backPressuredRatio).toBeGreaterThan(0.7);
    expect(source.requiredParallelism).toBeLessThanOrEqual(2);
    expect(first!.decision.reasons[0]!.detail).toContain('GroupWindowAggregate');
  });

  it('makes at most maxRescalesPerHour rescale decisions in any hour', async () => {
    // Prepare: a load growing so fast that every stable minute asks for more.
    const growing = {
      job: { ...sampleLike, maxTaskManagers: 50 },
      minutes: 180,
      inputRate: (minute: number) => 200 * minute,
    };
    const fast = { stabilizationSeconds: 60, scaleUpDelaySeconds: 0 };
    const inAnHour = (made: readonly { minute: number }[]) =>
      Math.max(
        ...made.map(
          (pass) =>
            made.filter((other) => other.minute > pass.minute - 60 && other.minute <= pass.minute).length,
        ),
      );

    // Act
    const limited = rescales(await simulate({ ...growing, settings: { ...fast, maxRescalesPerHour: 2 } }));
    const unlimited = rescales(
      await simulate({ ...growing, settings: { ...fast, maxRescalesPerHour: 100 } }),
    );

    // Assess
    expect(inAnHour(limited)).toBe(2);
    expect(inAnHour(unlimited)).toBeGreaterThan(2);
    expect(limited.length).toBeGreaterThanOrEqual(3);
  });
});

describe('decideAutoscale bounds, slots and key groups', () => {
  const overloaded = asksFor32;

  it('stays within the slots the most TaskManagers can give, after the slots of other jobs', () => {
    const twoTaskManagers = decideOnce({ ...overloaded, slotsOfOthers: 2, maxTaskManagers: 2 });
    const threeTaskManagers = decideOnce({ ...overloaded, slotsOfOthers: 2, maxTaskManagers: 3 });

    expect(twoTaskManagers).toMatchObject({ action: 'scale-up', parallelism: 6 });
    expect(twoTaskManagers.inputs.bounds.slotParallelism).toBe(6);
    expect(twoTaskManagers.inputs.taskManagers.needed).toBe(2);
    expect(threeTaskManagers).toMatchObject({ action: 'scale-up', parallelism: 10 });
    expect(threeTaskManagers.inputs.taskManagers.needed).toBe(3);
  });

  it('stays within the job’s own bounds inside the global ones', () => {
    const settings = resolveAutoscaleSettings(onNow, { enabled: true, maxParallelism: 4 }, 'orders');
    const idle = loaded(0, 8, { maxTaskManagers: 2 });

    expect(decideOnce(overloaded, settings)).toMatchObject({ action: 'scale-up', parallelism: 4 });
    expect(
      decideOnce(idle, {
        ...resolveAutoscaleSettings(onNow, { enabled: true, minParallelism: 2 }, 'orders'),
        scaleDownDelaySeconds: 0,
      }),
    ).toMatchObject({ action: 'scale-down', parallelism: 2 });
  });

  it('does nothing at the top bound, and says so', () => {
    const decision = decideOnce({ ...loaded(8_000, 8, { pendingRecords: 36_000_000 }), maxTaskManagers: 2 });

    expect(decision.action).toBe('none');
    expect(codes(decision)).toEqual(['at-bound']);
    // (8,000 + (36,000,000 + 8,000 x 300) / 1,800) / 700
    expect(decision.inputs.requiredParallelism).toBe(42);
  });

  it('gives a keyed job a parallelism that divides its key groups when one is within bounds', () => {
    const keyed128 = decideOnce(asksFor5);
    const keyed120 = decideOnce({ ...asksFor5, maxParallelism: 120 });
    const spread = decideOnce(asksFor5, { keyGroupAlignment: 'maximize-utilization' });

    expect(keyed128.inputs.requiredParallelism).toBe(5);
    expect(keyed128.parallelism).toBe(8);
    expect(keyed120.parallelism).toBe(5);
    expect(spread.parallelism).toBe(6);
  });

  it('caps a source vertex at its partitions', () => {
    // The source is the slow part here (500 records/s per subtask) and reads 3 partitions.
    const decision = decideOnce(
      loaded(1_000, 2, {
        partitions: 3,
        source: { busy: 1, recordsIn: 1_000 },
        window: { busy: 0.5, recordsIn: 1_000 },
        pendingRecords: 1_000_000,
      }),
    );

    const source = decision.inputs.vertices.find((vertex) => vertex.vertexId === SOURCE)!;
    expect(source.requiredParallelism).toBe(3);
    expect(decision.parallelism).toBe(4);
  });
});

describe('alignToKeyGroups', () => {
  const align = (
    current: number,
    wanted: number,
    keyGroups = 128,
    mode: 'evenly-spread' | 'maximize-utilization' = 'evenly-spread',
  ) => alignToKeyGroups({ current, wanted, keyGroups, lower: 1, upper: 200, mode });

  it('goes up to the next divisor, and down to one only when it lies below the current parallelism', () => {
    expect(align(2, 5)).toEqual({ parallelism: 8, blocked: false });
    expect(align(8, 3)).toEqual({ parallelism: 4, blocked: false });
    expect(align(8, 5)).toEqual({ parallelism: 8, blocked: true });
    expect(align(2, 7, 120)).toEqual({ parallelism: 8, blocked: false });
  });

  it('falls back to the smallest parallelism with as many key groups per subtask when no divisor is in reach', () => {
    expect(
      alignToKeyGroups({ current: 2, wanted: 6, keyGroups: 128, lower: 1, upper: 6, mode: 'evenly-spread' }),
    ).toEqual({
      parallelism: 6,
      blocked: false,
    });
    expect(
      alignToKeyGroups({ current: 2, wanted: 3, keyGroups: 128, lower: 1, upper: 3, mode: 'evenly-spread' }),
    ).toEqual({
      parallelism: 2,
      blocked: true,
    });
  });

  it('with maximize-utilization, takes the first parallelism that gives a subtask fewer key groups', () => {
    expect(align(2, 5, 128, 'maximize-utilization')).toEqual({ parallelism: 6, blocked: false });
  });
});

describe('decideAutoscale switches and waits', () => {
  const overloaded = asksFor5;

  it('does nothing while the global or the job’s switch is off', () => {
    expect(codes(decideOnce(overloaded, { enabled: false }))).toEqual(['disabled']);
    expect(resolveAutoscaleSettings(on, { enabled: false }, 'orders').enabled).toBe(false);
    expect(resolveAutoscaleSettings({ ...on, enabled: false }, { enabled: true }, 'orders').enabled).toBe(
      false,
    );
    // A job is autoscaled only when it switches itself on: the global switch alone moves nothing.
    expect(resolveAutoscaleSettings(on, undefined, 'orders').enabled).toBe(false);
    expect(resolveAutoscaleSettings(on, { enabled: true }, 'orders').enabled).toBe(true);
  });

  it('does nothing for a job that does not run all its tasks', () => {
    expect(codes(decideOnce({ ...overloaded, state: 'RESTARTING' }))).toEqual(['job-not-running']);
    expect(codes(decideOnce({ ...overloaded, allTasksRunning: false }))).toEqual(['job-not-running']);
  });

  it('only records during the stabilization period after a job start or a rescale decision', () => {
    const justStarted = decideOnce({ ...overloaded, startTime: now - 60_000 });
    const rescaled = autoscaleDecisionRecord(
      'orders',
      { ...decideOnce({ ...overloaded, now: now - 120_000 }), action: 'scale-up', parallelism: 2 },
      on,
      now - 120_000,
    );
    const afterRescale = decideOnce(overloaded, {}, [rescaled]);
    const later = decideOnce({ ...overloaded, now: now + 300_000 }, {}, [rescaled]);

    expect(codes(justStarted)).toEqual(['stabilizing']);
    expect(justStarted.inputs.candidateParallelism).toBe(8);
    expect(codes(afterRescale)).toEqual(['stabilizing']);
    expect(later.action).toBe('scale-up');
  });

  it('records the numbers it decided from', () => {
    const decision = decideOnce(overloaded);
    const window = decision.inputs.vertices.find((vertex) => vertex.vertexId === WINDOW)!;

    expect(window).toMatchObject({
      keyed: true,
      busyRatio: 1,
      recordsInPerSecond: 2_000,
      requiredParallelism: 5,
    });
    // 2,000 records/s at 100 % busy on 2 subtasks: 1,000 per subtask.
    expect(window.trueRatePerSubtask).toBe(1_000);
    expect(window.targetRatePerSecond).toBeCloseTo(2_000 + (1_440_000 + 2_000 * 300) / 1_800);
    expect(window.utilizationAtTarget).toBeCloseTo(window.targetRatePerSecond! / 2_000);
    expect(decision.inputs).toMatchObject({
      currentParallelism: 2,
      requiredParallelism: 5,
      candidateParallelism: 8,
    });
    expect(new Date(decision.inputs.observedAt).getTime()).toBe(now);
    expect(simulationStart).toBeLessThan(now);
  });
});
