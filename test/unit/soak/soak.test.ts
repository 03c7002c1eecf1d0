import { computeAggregates, type SampleEvent } from '@apphub/sample';
import { comparable } from '@apphub/smoke';
import { describe, expect, it } from 'vitest';
import { accountDeadLetters, checkExactness, isExact } from '../../../local/src/soak/exactness.js';
import { FAULT_KINDS, FAULT_SPECS, faultLanes, parseFaultKinds } from '../../../local/src/soak/faults.js';
import { type FaultOutcome, formatSoakReport, quantile, soakPassed } from '../../../local/src/soak/report.js';
import { planFaults } from '../../../local/src/soak/schedule.js';
import { soakPrefix, trafficTick } from '../../../local/src/soak/traffic.js';

// The soak's pure parts: the seeded schedule, the events of a tick, the exactness check, the table.
// The soak itself runs on the local stack (npm run soak, and its short form in .ci/run).

const event = (user: string, minute: number, value: number, second = 0): SampleEvent => ({
  event_id: `e-${user}-${minute}-${second}-${value}`,
  user_id: user,
  event_type: 'click',
  value,
  occurred_at: new Date(Date.UTC(2026, 11, 7, 10, minute, second)).toISOString(),
});

const events = [event('u-1', 0, 1.25), event('u-1', 0, 2.5, 30), event('u-2', 0, 4), event('u-1', 1, 0.01)];
const expected = computeAggregates(events);
const rowsOf = (list: readonly SampleEvent[]) => computeAggregates(list).map(comparable);

describe('the fault schedule', () => {
  it('is the same for the same seed, another for another seed, and holds every kind asked for', () => {
    const options = { kinds: FAULT_KINDS, durationMs: 6 * 60_000 };

    const first = planFaults({ ...options, seed: 7 });
    const again = planFaults({ ...options, seed: 7 });
    const other = planFaults({ ...options, seed: 8 });

    expect(again).toEqual(first);
    expect(other.map((fault) => fault.kind)).not.toEqual(first.map((fault) => fault.kind));
    expect(new Set(first.map((fault) => fault.kind))).toEqual(new Set(FAULT_KINDS));
    for (const fault of first) {
      expect(fault.atMs).toBeGreaterThanOrEqual(30_000);
      expect(fault.atMs).toBeLessThanOrEqual(6 * 60_000 - 30_000);
      expect(fault.target).toBe(FAULT_SPECS[fault.kind].target);
    }
  });

  it('overlaps faults on different targets and repeats the kinds when the run is long', () => {
    const plan = planFaults({ seed: 3, kinds: FAULT_KINDS, durationMs: 30 * 60_000 });

    const overlapping = plan.filter(
      (fault, index) => index > 0 && fault.atMs - plan[index - 1]!.atMs <= 2_000,
    );
    expect(overlapping.length).toBeGreaterThan(0);
    for (const fault of overlapping) expect(fault.target).not.toBe(plan[plan.indexOf(fault) - 1]!.target);
    expect(plan.length).toBeGreaterThanOrEqual(2 * FAULT_KINDS.length);
    expect([...plan].sort((a, b) => a.atMs - b.atMs)).toEqual(plan);
  });

  it('keeps the JobManager kill off the DynamoDB faults: the job comes back through its record there', () => {
    expect(faultLanes(FAULT_SPECS['kill-jobmanager'])).toEqual(['jobmanager', 'dynamodb']);
    expect(faultLanes(FAULT_SPECS.outage)).toEqual(['dynamodb']);
    expect(faultLanes(FAULT_SPECS['kill-taskmanager'])).toEqual(['taskmanager-1']);
  });

  it('parses --faults, naming an unknown kind', () => {
    expect(parseFaultKinds('all')).toEqual(FAULT_KINDS);
    expect(parseFaultKinds('kill-kafka, hang-minio,kill-kafka')).toEqual(['kill-kafka', 'hang-minio']);
    expect(() => parseFaultKinds('kill-kafka,kill-zookeeper')).toThrow('unknown fault kind kill-zookeeper');
  });
});

describe('the traffic of one tick', () => {
  it('is deterministic, carries the run prefix and times inside the last second, and dead-letters one event in ten ticks', () => {
    const options = { runId: 'r1', seed: 5, eventsPerSecond: 20, users: 8, malformedEvery: 10 };
    const now = Date.UTC(2026, 11, 7, 10, 0, 30);

    const tick = trafficTick(options, 10, now);

    expect(trafficTick(options, 10, now)).toEqual(tick);
    expect(tick.events).toHaveLength(20);
    for (const each of tick.events) {
      expect(each.user_id.startsWith(soakPrefix('r1'))).toBe(true);
      expect(Date.parse(each.occurred_at)).toBeGreaterThanOrEqual(now - 1_000);
      expect(Date.parse(each.occurred_at)).toBeLessThanOrEqual(now);
    }
    expect(new Set(tick.events.map((each) => each.event_id)).size).toBe(20);
    expect(tick.malformedId).toBe('soak-r1-malformed-10');
    expect(tick.records).toHaveLength(21);
    expect(trafficTick(options, 11, now).malformedId).toBeUndefined();
  });
});

describe('the exactness check against the generated events', () => {
  it('passes the aggregates of the same events, whatever type their source gives the measures', () => {
    const rows = expected.map((aggregate) =>
      comparable({
        ...aggregate,
        event_count: BigInt(aggregate.event_count),
        total_value: Number(aggregate.total_value),
      }),
    );

    const result = checkExactness(expected, rows, { upsert: false });

    expect(result).toMatchObject({ expected: 3, exact: 3, lostRecords: 0, doubledRecords: 0 });
    expect(isExact(result)).toBe(true);
  });

  it('counts the events of a missing key and of a short count as lost', () => {
    const result = checkExactness(expected, rowsOf([events[0]!, events[3]!]), { upsert: false });

    expect(result.lostRecords).toBe(2);
    expect(result.doubledRecords).toBe(0);
    expect(isExact(result)).toBe(false);
  });

  it('counts an event counted twice as doubled, and a wrong total with a right count as wrong', () => {
    const doubled = checkExactness(expected, rowsOf([...events, events[2]!]), { upsert: false });
    const wrong = checkExactness(
      expected,
      rowsOf([{ ...events[2]!, value: 5 }, ...events.slice(0, 2), events[3]!]),
      {
        upsert: false,
      },
    );

    expect(doubled).toMatchObject({ lostRecords: 0, doubledRecords: 1 });
    expect(wrong).toMatchObject({ wrongTotals: 1, exact: 2 });
    expect(isExact(wrong)).toBe(false);
  });

  it('takes the latest record per key on an upsert topic, and a duplicate row in the lake as doubled', () => {
    const early = rowsOf([events[0]!]);
    const complete = rowsOf(events);

    const upsert = checkExactness(expected, [...early, ...complete], { upsert: true });
    const lake = checkExactness(expected, [...complete, complete[0]!], { upsert: false });

    expect(isExact(upsert)).toBe(true);
    expect(lake).toMatchObject({ duplicateKeys: 1, doubledRecords: 2 });
    expect(isExact(lake)).toBe(false);
  });

  it('accounts for every malformed event among the dead letters, a redelivery allowed', () => {
    expect(accountDeadLetters(['a', 'b'], ['a', 'x', 'b', 'a'])).toEqual({
      produced: 2,
      found: 2,
      missing: 0,
      redelivered: 1,
    });
    expect(accountDeadLetters(['a', 'b'], ['a'])).toMatchObject({ missing: 1 });
  });
});

describe('the soak table', () => {
  const exact = checkExactness(expected, rowsOf(events), { upsert: false });
  const faults: FaultOutcome[] = [
    { kind: 'kill-kafka', recoveryMs: 12_000, detail: '' },
    { kind: 'kill-kafka', recoveryMs: 30_000, detail: '' },
    { kind: 'kill-kafka', recoveryMs: 18_000, detail: '' },
    { kind: 'hang-minio', recoveryMs: 4_000, detail: '' },
  ];
  const deadLetters = accountDeadLetters(['a'], ['a']);

  it('shows recovery p50 and max per kind and passes with nothing lost or doubled', () => {
    const result = { faults, sink: exact, lake: exact, deadLetters, events: 4 };

    const text = formatSoakReport(result);

    expect(quantile([12, 30, 18], 0.5)).toBe(18);
    expect(text).toMatch(/^hang-minio\s+1\s+0\s+4\.0 s\s+4\.0 s$/m);
    expect(text).toMatch(/^kill-kafka\s+3\s+0\s+18\.0 s\s+30\.0 s$/m);
    expect(text).toContain('records lost: 0\nrecords doubled: 0\nPASS');
    expect(soakPassed(result)).toBe(true);
  });

  it('fails on a lost record, a missing dead letter or a fault that did not recover', () => {
    const short = checkExactness(expected, rowsOf(events.slice(1)), { upsert: true });
    const base = { faults, sink: exact, lake: exact, deadLetters, events: 4 };

    expect(soakPassed({ ...base, sink: short })).toBe(false);
    expect(formatSoakReport({ ...base, sink: short })).toContain('records lost: 1');
    expect(soakPassed({ ...base, deadLetters: accountDeadLetters(['a'], []) })).toBe(false);
    expect(soakPassed({ ...base, faults: [{ kind: 'outage', recoveryMs: undefined, detail: 'x' }] })).toBe(
      false,
    );
  });
});
