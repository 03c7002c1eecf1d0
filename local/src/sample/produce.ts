import type { TopicRecords } from '@apphub/kafka-client';
import type { SampleEvent } from '@apphub/sample';

export interface ProduceOptions {
  /** Called with the running count after each batch. */
  readonly onProgress?: (sent: number) => void;
  /**
   * Pause between minutes of event time. Flink marks a partition idle after a quiet spell and a
   * partition that resumes with events older than the watermark loses them as late; pacing a
   * backlog by minute lets every partition wake before the watermark moves past its data.
   */
  readonly pauseBetweenMinutesMs?: number;
  readonly batchSize?: number;
  /** An explicit partition per event; by default Kafka's partitioner places events by key. */
  readonly partition?: (event: SampleEvent) => number;
}

/**
 * Produces events keyed by user_id (so one user's events stay ordered in one partition), in
 * batches of at most `batchSize` that never span a minute of event time, acks from all replicas.
 */
export async function produceEvents(
  kafka: Pick<TopicRecords, 'produce'>,
  topic: string,
  events: readonly SampleEvent[],
  options: ProduceOptions = {},
): Promise<void> {
  const batchSize = options.batchSize ?? 500;
  let sent = 0;
  for (const minute of splitByMinute(events)) {
    if (sent > 0 && options.pauseBetweenMinutesMs)
      await new Promise((r) => setTimeout(r, options.pauseBetweenMinutesMs));
    for (let offset = 0; offset < minute.length; offset += batchSize) {
      const batch = minute.slice(offset, offset + batchSize);
      await kafka.produce(
        topic,
        batch.map((event) => ({
          key: event.user_id,
          value: JSON.stringify(event),
          ...(options.partition ? { partition: options.partition(event) } : {}),
        })),
      );
      sent += batch.length;
      options.onProgress?.(sent);
    }
  }
}

/** Consecutive runs of events in production order, cut where the latest minute of event time so far changes. */
export function splitByMinute(events: readonly SampleEvent[]): SampleEvent[][] {
  const runs: SampleEvent[][] = [];
  let latestMinute = Number.NEGATIVE_INFINITY;
  for (const event of events) {
    const minute = Math.floor(Date.parse(event.occurred_at) / 60_000);
    if (minute > latestMinute) {
      runs.push([]);
      latestMinute = minute;
    }
    runs.at(-1)!.push(event);
  }
  return runs;
}
