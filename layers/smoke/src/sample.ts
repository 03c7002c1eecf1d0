import { computeAggregates, type SampleAggregate, type SampleEvent, windowMs } from '@apphub/sample';
import { smokeRunPrefix } from './marker.js';

/** Users per input partition, and events per user: small, and every partition carries some. */
const USERS_PER_PARTITION = 2;
const EVENTS_PER_USER = 5;
/** The sample's event times reach back at most this far from the moment it is produced. */
const SPREAD_MS = 10_000;
/** A minute with less than this left is not started: the sample waits for the next one. */
const MIN_MINUTE_LEFT_MS = 15_000;

/** An event and the input partition it is produced to. */
export interface PlacedEvent {
  readonly event: SampleEvent;
  readonly partition: number;
}

/** One run's sample: its events, the 1-minute window they fall in, and the aggregates the job must emit. */
export interface SmokeSample {
  readonly runId: string;
  /** Production time, and the newest event time: the sample carries current time, never a future one. */
  readonly producedAt: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  readonly events: readonly PlacedEvent[];
  /** Computed from the events themselves (count and exact sum per user and window), never from the pipeline. */
  readonly expected: readonly SampleAggregate[];
}

/**
 * When to produce a sample, given the time now: now, or the start of the next minute when less than
 * 15 s of this one remain, so its window is still open for the job even if other traffic closes the
 * current minute 5 s after it ends (the job's out-of-orderness bound).
 */
export function smokeProductionTime(now: number): number {
  const minuteStart = now - (now % windowMs);
  return minuteStart + windowMs - now < MIN_MINUTE_LEFT_MS ? minuteStart + windowMs : now;
}

/**
 * A small deterministic sample for `runId`, produced at `producedAt` (see smokeProductionTime): two
 * users on each of the input's `partitions`, five events each, event times in the last 10 s before
 * `producedAt` and inside its minute, values with two decimals. Every id carries the run's smoke
 * prefix. The same arguments always give the same events.
 */
export function smokeSample(runId: string, producedAt: number, partitions: number): SmokeSample {
  const prefix = smokeRunPrefix(runId);
  const windowStart = producedAt - (producedAt % windowMs);
  const from = Math.max(windowStart, producedAt - SPREAD_MS);
  const total = partitions * USERS_PER_PARTITION * EVENTS_PER_USER;
  const events: PlacedEvent[] = [];
  for (let index = 0; index < total; index += 1) {
    // Round-robin over users, so every partition gets events from the first to the last moment.
    const user = index % (partitions * USERS_PER_PARTITION);
    const partition = user % partitions;
    const time = from + Math.floor(((producedAt - from) * index) / Math.max(1, total - 1));
    events.push({
      partition,
      event: {
        event_id: `${prefix}e${String(index).padStart(4, '0')}`,
        user_id: `${prefix}p${partition}-u${user}`,
        event_type: ['page_view', 'click', 'purchase', 'search'][index % 4]!,
        value: ((index * 7919) % 100_000) / 100,
        occurred_at: new Date(time).toISOString(),
      },
    });
  }
  return {
    runId,
    producedAt,
    windowStart,
    windowEnd: windowStart + windowMs,
    events,
    expected: computeAggregates(events.map((placed) => placed.event)),
  };
}

/**
 * The events that close the sample's window: one per input partition at `now` (which must be past
 * the window's end plus the job's watermark delay), so the watermark passes the window on every
 * partition the sample used even when nothing else moves it. Current time, so they are never late and
 * move no watermark further than any on-time event would; their own window closes with later traffic.
 */
export function closingEvents(sample: SmokeSample, now: number, partitions: number): PlacedEvent[] {
  const prefix = smokeRunPrefix(sample.runId);
  return Array.from({ length: partitions }, (_, partition) => ({
    partition,
    event: {
      event_id: `${prefix}close-p${partition}`,
      user_id: `${prefix}closer-p${partition}`,
      event_type: 'smoke_close',
      value: 0,
      occurred_at: new Date(now).toISOString(),
    },
  }));
}

/** True for a user of the run's sample (not one of its closing events' users). */
export function isSampleUser(runId: string, userId: unknown): boolean {
  const prefix = smokeRunPrefix(runId);
  return typeof userId === 'string' && userId.startsWith(prefix) && !userId.startsWith(`${prefix}closer-`);
}
