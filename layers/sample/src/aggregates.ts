import type { SampleEvent } from './events.js';

/** One output row of the sample job: a user's 1-minute tumbling window. */
export interface SampleAggregate {
  readonly user_id: string;
  readonly window_start: string;
  readonly window_end: string;
  readonly event_count: number;
  /** The exact decimal sum, as a string with the job's scale (DECIMAL(38, 9)). */
  readonly total_value: string;
}

export const windowMs = 60_000;
const scale = 9n;
const unit = 10n ** scale;

/** A JSON number (as text or number) as an integer count of 10^-9, exactly like DECIMAL(38, 9). */
export function toScaled(value: number | string): bigint {
  const text = typeof value === 'number' ? numberToPlain(value) : value.trim();
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) throw new Error(`not a decimal number: ${text}`);
  const [, sign, whole, fraction = ''] = match;
  const digits = fraction.padEnd(Number(scale) + 1, '0');
  let scaled = BigInt(whole!) * unit + BigInt(digits.slice(0, Number(scale)));
  // Flink rounds HALF_UP when a JSON number has more decimals than the column's scale.
  if (Number(digits[Number(scale)]) >= 5) scaled += 1n;
  return sign === '-' ? -scaled : scaled;
}

/** Formats a scaled integer as a plain decimal with the job's scale, e.g. 12.340000000. */
export function fromScaled(scaled: bigint): string {
  const negative = scaled < 0n;
  const magnitude = negative ? -scaled : scaled;
  return `${negative ? '-' : ''}${magnitude / unit}.${(magnitude % unit).toString().padStart(Number(scale), '0')}`;
}

function numberToPlain(value: number): string {
  // Shortest round-trip text of the double, without exponent: what a JSON encoder sends.
  const text = String(value);
  if (!/e/i.test(text)) return text;
  return value.toFixed(20).replace(/0+$/, '').replace(/\.$/, '');
}

/** The window [start, end) of an event time, as ISO strings. */
export function windowOf(occurredAt: string): { window_start: string; window_end: string } {
  const time = Date.parse(occurredAt);
  const start = time - (((time % windowMs) + windowMs) % windowMs);
  return {
    window_start: new Date(start).toISOString(),
    window_end: new Date(start + windowMs).toISOString(),
  };
}

/**
 * The sample job's result computed independently of Flink: count and exact sum per user and
 * 1-minute window, sorted by window then user.
 */
export function computeAggregates(events: readonly SampleEvent[]): SampleAggregate[] {
  const groups = new Map<
    string,
    { user_id: string; window_start: string; window_end: string; count: number; sum: bigint }
  >();
  for (const event of events) {
    const window = windowOf(event.occurred_at);
    const key = `${window.window_start}|${event.user_id}`;
    const group = groups.get(key) ?? { user_id: event.user_id, ...window, count: 0, sum: 0n };
    group.count += 1;
    group.sum += toScaled(event.value);
    groups.set(key, group);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, group]) => ({
      user_id: group.user_id,
      window_start: group.window_start,
      window_end: group.window_end,
      event_count: group.count,
      total_value: fromScaled(group.sum),
    }));
}

/** Normalises an aggregate read from the sink topic for exact comparison (total as scaled decimal text). */
export function normaliseAggregate(value: {
  user_id: string;
  window_start: string;
  window_end: string;
  event_count: number;
  total_value: number | string;
}): SampleAggregate {
  return {
    user_id: value.user_id,
    window_start: value.window_start,
    window_end: value.window_end,
    event_count: Number(value.event_count),
    total_value: fromScaled(toScaled(value.total_value)),
  };
}
