import { platform } from '@apphub/platform';
import { computeAggregates } from '@apphub/sample';
import {
  canonicalDecimal,
  closingEvents,
  comparable,
  compareAggregates,
  describeComparison,
  formatSmokeReport,
  isSampleUser,
  isSmokeRow,
  matches,
  newSmokeRunId,
  parseSmokeReport,
  SMOKE_ID_PREFIX,
  type SmokeReport,
  smokeProductionTime,
  smokeSample,
} from '@apphub/smoke';
import { describe, expect, it } from 'vitest';

const minute = Date.UTC(2026, 11, 7, 11, 5);
const runId = '20261207-110520-beef';

describe('the smoke sample', () => {
  it('is produced now, or at the next minute when less than 15 s of this one are left', () => {
    expect(smokeProductionTime(minute + 20_000)).toBe(minute + 20_000);
    expect(smokeProductionTime(minute + 44_999)).toBe(minute + 44_999);
    expect(smokeProductionTime(minute + 45_001)).toBe(minute + 60_000);
  });

  it('is deterministic: the same run, time and partitions give the same events', () => {
    expect(smokeSample(runId, minute + 20_000, 3)).toEqual(smokeSample(runId, minute + 20_000, 3));
    expect(smokeSample(runId, minute + 20_000, 3).events).not.toEqual(
      smokeSample('other', minute + 20_000, 3).events,
    );
  });

  it('puts two users with five events each on every partition, marked with the run', () => {
    const sample = smokeSample(runId, minute + 20_000, 3);

    expect(sample.events).toHaveLength(30);
    for (const partition of [0, 1, 2]) {
      const users = new Set(
        sample.events.filter((e) => e.partition === partition).map((e) => e.event.user_id),
      );
      expect(users.size).toBe(2);
    }
    for (const { event } of sample.events) {
      expect(event.user_id.startsWith(`${SMOKE_ID_PREFIX}${runId}-`)).toBe(true);
      expect(event.event_id.startsWith(`${SMOKE_ID_PREFIX}${runId}-`)).toBe(true);
      expect(isSampleUser(runId, event.user_id)).toBe(true);
    }
  });

  it('carries current event time: within the last 10 s before production and inside one open minute', () => {
    const producedAt = minute + 6_000;
    const sample = smokeSample(runId, producedAt, 3);
    const times = sample.events.map(({ event }) => Date.parse(event.occurred_at));

    expect(Math.max(...times)).toBe(producedAt);
    expect(Math.min(...times)).toBe(minute);
    expect(sample.windowStart).toBe(minute);
    expect(sample.windowEnd).toBe(minute + 60_000);
  });

  it('expects the aggregates computed from its own events, one per user in its minute', () => {
    const sample = smokeSample(runId, minute + 30_000, 3);

    expect(sample.expected).toEqual(computeAggregates(sample.events.map(({ event }) => event)));
    expect(sample.expected).toHaveLength(6);
    expect(sample.expected.every((aggregate) => aggregate.event_count === 5)).toBe(true);
  });

  it('is closed by one current event per partition, whose users are not the sample', () => {
    const sample = smokeSample(runId, minute + 30_000, 3);
    const at = sample.windowEnd + platform.sampleJob.watermarkDelaySeconds * 1000 + 1_000;

    const closers = closingEvents(sample, at, 3);

    expect(closers.map((closer) => closer.partition)).toEqual([0, 1, 2]);
    for (const { event } of closers) {
      expect(Date.parse(event.occurred_at)).toBe(at);
      expect(event.user_id.startsWith(SMOKE_ID_PREFIX)).toBe(true);
      expect(isSampleUser(runId, event.user_id)).toBe(false);
    }
  });

  it('has a fresh run id each time, usable in ids', () => {
    const ids = new Set(Array.from({ length: 50 }, () => newSmokeRunId(minute)));

    expect(ids.size).toBeGreaterThan(45);
    for (const id of ids) expect(id).toMatch(/^20261207-110500-[0-9a-f]{4}$/);
  });
});

describe('comparing aggregates', () => {
  const sample = smokeSample(runId, minute + 30_000, 3);
  const [first] = sample.expected;

  it('reads a double, decimal text of any scale and an exact decimal alike', () => {
    expect(canonicalDecimal(12.34)).toBe('12.340000000');
    expect(canonicalDecimal('12.34')).toBe('12.340000000');
    expect(canonicalDecimal('12.340000000')).toBe('12.340000000');
    expect(canonicalDecimal(0.1 + 0.2)).toBe('0.300000000');
    expect(canonicalDecimal(5n)).toBe('5.000000000');
    expect(canonicalDecimal('not a number')).toBe('not a number');
  });

  it('matches rows from the lake (epoch ms, bigint count, double total) and from the topic (ISO, JSON text)', () => {
    const fromLake = sample.expected.map((aggregate) =>
      comparable({
        user_id: aggregate.user_id,
        window_start: Date.parse(aggregate.window_start),
        event_count: BigInt(aggregate.event_count),
        total_value: Number(aggregate.total_value),
      }),
    );
    const fromTopic = sample.expected.map((aggregate) => comparable({ ...aggregate }));

    expect(matches(compareAggregates(sample.expected, fromLake))).toBe(true);
    expect(matches(compareAggregates(sample.expected, fromTopic))).toBe(true);
  });

  it('tells missing, different and unexpected rows apart, in one line', () => {
    const rows = sample.expected.slice(1).map((aggregate) => comparable(aggregate));
    rows[0] = { ...rows[0]!, total_value: canonicalDecimal('1.5') };
    rows.push(comparable({ ...first!, user_id: `${first!.user_id}-x` }));

    const comparison = compareAggregates(sample.expected, rows);

    expect(matches(comparison)).toBe(false);
    expect(comparison.missing).toEqual([`${first!.user_id}@${first!.window_start}`]);
    expect(comparison.different).toHaveLength(1);
    expect(comparison.unexpected).toHaveLength(1);
    expect(describeComparison(comparison, 6)).toMatch(
      /^4 of 6 equal the expected aggregates; 1 missing \(e\.g\. .+\); 1 different \(e\.g\. .+: count 5, total 1\.500000000, expected count 5, total .+\); 1 unexpected/,
    );
  });
});

describe('smoke records in queries', () => {
  it('are rows with a smoke id in one of the key fields', () => {
    expect(
      isSmokeRow({ user_id: `${SMOKE_ID_PREFIX}${runId}-p0-u0`, window_start: 0 }, [
        'user_id',
        'window_start',
      ]),
    ).toBe(true);
    expect(isSmokeRow({ user_id: 'u-0001', window_start: 0 }, ['user_id', 'window_start'])).toBe(false);
    expect(isSmokeRow({ user_id: 'u-0001', note: `${SMOKE_ID_PREFIX}x` }, ['user_id'])).toBe(false);
  });
});

describe('the smoke report', () => {
  const report: SmokeReport = {
    runId,
    target: 'native',
    passed: false,
    steps: [
      {
        name: 'sample job apphub-tumbling-window',
        status: 'PASS',
        seconds: 0.4,
        detail: 'already running as abc',
      },
      {
        name: 'aggregates on apphub.streaming.aggregates',
        status: 'FAIL',
        seconds: 120.25,
        detail: 'after waiting: 4 of 6 equal',
      },
      {
        name: 'window sealed in the lake',
        status: 'SKIP',
        seconds: 0,
        detail: 'not run: an earlier step failed',
      },
    ],
  };

  it('prints one row per step with its result and seconds, the whole detail, and the verdict', () => {
    expect(formatSmokeReport(report).split('\n')).toEqual([
      'STEP                                       RESULT  SECONDS  DETAIL',
      'sample job apphub-tumbling-window          PASS        0.4  already running as abc',
      'aggregates on apphub.streaming.aggregates  FAIL      120.3  after waiting: 4 of 6 equal',
      'window sealed in the lake                  SKIP        0.0  not run: an earlier step failed',
      '',
      `smoke run ${runId} on native: FAIL in 121 s`,
    ]);
  });

  it('is parsed back from JSON, and a report of another shape is one line naming the field', () => {
    expect(parseSmokeReport(JSON.parse(JSON.stringify(report)), 'answer')).toEqual(report);
    expect(() => parseSmokeReport({ ...report, steps: [{ name: 'x', status: 'OK' }] }, 'answer')).toThrow(
      /^answer is invalid: steps\.0\.status: /,
    );
  });
});
