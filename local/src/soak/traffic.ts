import type { KafkaClient, OutgoingRecord } from '@apphub/kafka-client';
import { generateSampleEvents, type SampleEvent } from '@apphub/sample';

/** The ids of a soak run start with this, so its users, events and dead letters are told apart from others'. */
export function soakPrefix(runId: string): string {
  return `soak-${runId}-`;
}

export interface TrafficOptions {
  readonly runId: string;
  readonly seed: number;
  readonly eventsPerSecond: number;
  readonly users: number;
  /** One malformed event (for the dead letters) every this many ticks of one second. */
  readonly malformedEvery: number;
}

/** One second of traffic: sample events of the run's users, and maybe one malformed event. */
export interface TrafficTick {
  readonly events: readonly SampleEvent[];
  /** Id of the malformed event in `records`, if this tick has one. */
  readonly malformedId: string | undefined;
  readonly records: readonly OutgoingRecord[];
}

/**
 * The events of tick `tick` (the second ending at `now`): the sample generator's, seeded by the run's
 * seed and the tick, with event times in that second (never in the future, and less out of order
 * than the job's watermark delay), user and event ids under the run's prefix. Every
 * `malformedEvery`-th tick adds an event whose time is not a timestamp: the job dead-letters it.
 */
export function trafficTick(options: TrafficOptions, tick: number, now: number): TrafficTick {
  const prefix = soakPrefix(options.runId);
  const events = generateSampleEvents({
    count: options.eventsPerSecond,
    users: options.users,
    start: new Date(now - 1_000),
    spanMs: 1_000,
    seed: options.seed * 1_000_003 + tick,
    maxOutOfOrderMs: 1_000,
  }).map((event, index) => ({
    ...event,
    event_id: `${prefix}${tick}-${index}`,
    user_id: `${prefix}${event.user_id}`,
  }));
  const records: OutgoingRecord[] = events.map((event) => ({
    key: event.user_id,
    value: JSON.stringify(event),
  }));
  let malformedId: string | undefined;
  if (options.malformedEvery > 0 && tick % options.malformedEvery === 0) {
    malformedId = `${prefix}malformed-${tick}`;
    const value = {
      event_id: malformedId,
      user_id: `${prefix}malformed`,
      occurred_at: 'not a time',
      value: 1,
    };
    records.push({ key: value.user_id, value: JSON.stringify(value) });
  }
  return { events, malformedId, records };
}

/**
 * Produces one tick per second until stopped. A send that fails (Kafka killed or frozen) is sent
 * again, the same records on the same idempotent producer, until Kafka acknowledges it, so what
 * counts as produced is exactly what Kafka holds; while it waits, no newer tick is made, so the
 * rate drops during an outage instead of piling up events that would arrive late.
 */
export class SoakTraffic {
  readonly events: SampleEvent[] = [];
  readonly malformedIds: string[] = [];
  failedSends = 0;
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly kafka: KafkaClient,
    private readonly topic: string,
    private readonly options: TrafficOptions,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the tick in flight is acknowledged. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    for (let tick = 1; this.running; tick += 1) {
      const startedAt = Date.now();
      const batch = trafficTick(this.options, tick, startedAt);
      for (;;) {
        try {
          await this.kafka.produce(this.topic, batch.records);
          break;
        } catch {
          this.failedSends += 1;
          await pause(1_000);
        }
      }
      this.events.push(...batch.events);
      if (batch.malformedId !== undefined) this.malformedIds.push(batch.malformedId);
      // The rate: one tick per second of wall time.
      await pause(Math.max(0, startedAt + 1_000 - Date.now()));
    }
  }
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
