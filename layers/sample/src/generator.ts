import type { SampleEvent } from './events.js';

export interface GenerateOptions {
  /** Number of events. */
  readonly count: number;
  /** Number of distinct users (user ids u-0001 ...). */
  readonly users: number;
  /** Event time of the first event. */
  readonly start: Date;
  /** Event-time span the events cover, in milliseconds. */
  readonly spanMs: number;
  /** Seed of the pseudo-random generator: the same options always give the same events. */
  readonly seed: number;
  /** Largest shift of an event's time backwards from its production order (out-of-order events). */
  readonly maxOutOfOrderMs?: number;
}

const eventTypes = ['page_view', 'click', 'purchase', 'search'] as const;

/** mulberry32: a small, fast, seedable PRNG, so runs are reproducible; numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Deterministic sample events in production order: time advances across the span, some events are
 * shifted back by up to `maxOutOfOrderMs` (arriving out of order), values have two decimals.
 */
export function generateSampleEvents(options: GenerateOptions): SampleEvent[] {
  const next = seededRandom(options.seed);
  const width = Math.max(4, String(options.users).length);
  const events: SampleEvent[] = [];
  for (let i = 0; i < options.count; i += 1) {
    const base = options.start.getTime() + Math.floor((i / Math.max(1, options.count)) * options.spanMs);
    const shift = options.maxOutOfOrderMs ? Math.floor(next() * options.maxOutOfOrderMs) : 0;
    const user = 1 + Math.floor(next() * options.users);
    events.push({
      event_id: `evt-${options.seed}-${String(i).padStart(7, '0')}`,
      user_id: `u-${String(user).padStart(width, '0')}`,
      event_type: eventTypes[Math.floor(next() * eventTypes.length)]!,
      value: Math.round(next() * 100_000) / 100,
      occurred_at: new Date(Math.max(options.start.getTime(), base - shift)).toISOString(),
    });
  }
  return events;
}
