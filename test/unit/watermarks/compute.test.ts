import { computeDatasetWatermark, isWindowClosed, sealableThrough, windowStartOf } from '@apphub/watermarks';
import { describe, expect, it } from 'vitest';

const minute = 60_000;
const policy = { idleTimeoutMs: 5 * minute, windowDurationMs: 10 * minute, allowedLatenessMs: 2 * minute };
const progress = (partition: number, maxEventTime: number | undefined, updatedAt: number) => ({
  topic: 't',
  partition,
  nextOffset: 1,
  maxEventTime,
  updatedAt,
});

describe('computeDatasetWatermark', () => {
  it('is the minimum event time over partitions that are not idle', () => {
    const now = 100 * minute;
    const partitions = [
      progress(0, 50 * minute, now),
      progress(1, 40 * minute, now - minute),
      progress(2, 10 * minute, now - 6 * minute),
    ];
    expect(computeDatasetWatermark(partitions, now, policy)).toBe(40 * minute);
  });

  it('treats a dataset whose partitions are all idle as complete: past its newest window plus lateness', () => {
    const now = 100 * minute;
    const partitions = [
      progress(0, 43 * minute, now - 6 * minute),
      progress(1, 21 * minute, now - 9 * minute),
    ];
    expect(computeDatasetWatermark(partitions, now, policy)).toBe(40 * minute + 10 * minute + 2 * minute);
  });

  it('waits for every expected partition while some are active, not once all reported ones are idle', () => {
    const now = 100 * minute;
    const expecting = { ...policy, expectedPartitions: 3 };
    const two = [progress(0, 50 * minute, now), progress(1, 40 * minute, now)];
    expect(computeDatasetWatermark(two, now, expecting)).toBeUndefined();
    expect(computeDatasetWatermark([...two, progress(2, 45 * minute, now)], now, expecting)).toBe(
      40 * minute,
    );
    expect(computeDatasetWatermark(two, now + 6 * minute, expecting)).toBe(62 * minute);
  });

  it('is undefined until a partition has an event time', () => {
    expect(computeDatasetWatermark([], 0, policy)).toBeUndefined();
    expect(computeDatasetWatermark([progress(0, undefined, 0)], 0, policy)).toBeUndefined();
  });
});

describe('window arithmetic', () => {
  it('aligns windows to the epoch and seals those whose end plus lateness the watermark passed', () => {
    expect(windowStartOf(Date.UTC(2026, 10, 29, 10, 7, 30), 10 * minute)).toBe(Date.UTC(2026, 10, 29, 10, 0));
    expect(sealableThrough(Date.UTC(2026, 10, 29, 10, 12), policy)).toBe(Date.UTC(2026, 10, 29, 10, 10));
    expect(sealableThrough(Date.UTC(2026, 10, 29, 10, 11, 59), policy)).toBe(Date.UTC(2026, 10, 29, 10, 0));
  });
});

describe('isWindowClosed', () => {
  it('closes a window once the watermark reaches its end plus the allowed lateness, not a millisecond before', () => {
    const window = Date.UTC(2026, 10, 29, 10, 0);
    const closesAt = window + policy.windowDurationMs + policy.allowedLatenessMs;
    expect(isWindowClosed(window, closesAt - 1, policy)).toBe(false);
    expect(isWindowClosed(window, closesAt, policy)).toBe(true);
    expect(isWindowClosed(window, undefined, policy)).toBe(false);
  });

  it('agrees with sealableThrough: exactly the windows ending at or before it are closed', () => {
    const start = Date.UTC(2026, 10, 29, 10, 0);
    for (let watermark = start; watermark < start + 40 * minute; watermark += 17_000) {
      const through = sealableThrough(watermark, policy);
      for (
        let window = start - 20 * minute;
        window < start + 40 * minute;
        window += policy.windowDurationMs
      ) {
        expect(isWindowClosed(window, watermark, policy)).toBe(window + policy.windowDurationMs <= through);
      }
    }
  });
});
