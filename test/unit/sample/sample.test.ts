import {
  computeAggregates,
  fromScaled,
  generateSampleEvents,
  parseEventLines,
  SampleEventInvalidError,
  toScaled,
  windowOf,
} from '@apphub/sample';
import { describe, expect, it } from 'vitest';

const event = (user: string, at: string, value: number) => ({
  event_id: `${user}-${at}`,
  user_id: user,
  event_type: 'click',
  value,
  occurred_at: at,
});

describe('generateSampleEvents', () => {
  const options = {
    count: 500,
    users: 20,
    start: new Date('2026-11-29T10:00:00.000Z'),
    spanMs: 300_000,
    seed: 3,
    maxOutOfOrderMs: 4_000,
  };

  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateSampleEvents(options)).toEqual(generateSampleEvents(options));
    expect(generateSampleEvents({ ...options, seed: 4 })).not.toEqual(generateSampleEvents(options));
  });

  it('stays inside the span and the out-of-order bound, with some events out of order', () => {
    const events = generateSampleEvents(options);
    const times = events.map((e) => Date.parse(e.occurred_at));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(options.start.getTime());
    expect(Math.max(...times)).toBeLessThan(options.start.getTime() + options.spanMs);
    let maxSeen = 0;
    let outOfOrder = 0;
    for (const time of times) {
      if (time < maxSeen) {
        outOfOrder += 1;
        expect(maxSeen - time).toBeLessThanOrEqual(options.maxOutOfOrderMs + options.spanMs / options.count);
      }
      maxSeen = Math.max(maxSeen, time);
    }
    expect(outOfOrder).toBeGreaterThan(0);
    expect(new Set(events.map((e) => e.user_id)).size).toBe(20);
  });
});

describe('computeAggregates', () => {
  it('counts and sums exactly per user and 1-minute window', () => {
    const rows = computeAggregates([
      event('a', '2026-11-29T10:00:59.999Z', 0.1),
      event('a', '2026-11-29T10:00:00.000Z', 0.2),
      event('a', '2026-11-29T10:01:00.000Z', 1),
      event('b', '2026-11-29T10:00:30.000Z', 2.5),
    ]);
    expect(rows).toEqual([
      {
        user_id: 'a',
        window_start: '2026-11-29T10:00:00.000Z',
        window_end: '2026-11-29T10:01:00.000Z',
        event_count: 2,
        total_value: '0.300000000',
      },
      {
        user_id: 'b',
        window_start: '2026-11-29T10:00:00.000Z',
        window_end: '2026-11-29T10:01:00.000Z',
        event_count: 1,
        total_value: '2.500000000',
      },
      {
        user_id: 'a',
        window_start: '2026-11-29T10:01:00.000Z',
        window_end: '2026-11-29T10:02:00.000Z',
        event_count: 1,
        total_value: '1.000000000',
      },
    ]);
  });

  it('handles negative values and more decimals than the scale like DECIMAL(38, 9)', () => {
    expect(fromScaled(toScaled(-1.25))).toBe('-1.250000000');
    expect(fromScaled(toScaled('0.0000000015'))).toBe('0.000000002');
    expect(fromScaled(toScaled(1e-7))).toBe('0.000000100');
  });

  it('puts a window boundary event into the later window', () => {
    expect(windowOf('2026-11-29T10:01:00.000Z').window_start).toBe('2026-11-29T10:01:00.000Z');
  });
});

describe('parseEventLines', () => {
  it('parses valid JSON lines and skips blank ones', () => {
    const text = `${JSON.stringify(event('a', '2026-11-29T10:00:00.000Z', 1))}\n\n`;
    expect(parseEventLines(text, 'events.jsonl')).toHaveLength(1);
  });

  it('reads files written on Windows: a byte-order mark and CRLF line endings', () => {
    const lines = [event('a', '2026-11-29T10:00:00.000Z', 1), event('b', '2026-11-29T10:00:01.000Z', 2)];
    const text = `\uFEFF${lines.map((line) => JSON.stringify(line)).join('\r\n')}\r\n`;
    expect(parseEventLines(text, 'events.jsonl')).toEqual(lines);
  });

  it('rejects the whole file and names every bad line', () => {
    const good = JSON.stringify(event('a', '2026-11-29T10:00:00.000Z', 1));
    const text = [
      good,
      '{not json',
      JSON.stringify({ ...event('b', '2026-11-29 10:00', 1) }),
      JSON.stringify({ ...event('c', '2026-11-29T10:00:00.000Z', 1), extra: 1 }),
    ].join('\n');
    const error = (() => {
      try {
        parseEventLines(text, 'events.jsonl');
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SampleEventInvalidError);
    expect(error?.message).toMatch(/^3 invalid line\(s\) in events.jsonl, nothing was sent/);
    expect(error?.message).toMatch(/events.jsonl:2 is not valid JSON/);
    expect(error?.message).toMatch(/events.jsonl:3 is invalid: occurred_at/);
    expect(error?.message).toMatch(/events.jsonl:4 is invalid: .*extra/);
  });
});
