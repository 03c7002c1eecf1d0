import type { SampleEvent } from '@apphub/sample';
import type { Kafka } from 'kafkajs';

/**
 * Produces events keyed by user_id (so one user's events stay ordered in one partition), in
 * batches, with acks from all in-sync replicas. `onProgress` gets the running count.
 */
export async function produceEvents(
  kafka: Kafka,
  topic: string,
  events: readonly SampleEvent[],
  onProgress: (sent: number) => void = () => {},
  batchSize = 500,
): Promise<void> {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  try {
    for (let offset = 0; offset < events.length; offset += batchSize) {
      const batch = events.slice(offset, offset + batchSize);
      await producer.send({
        topic,
        acks: -1,
        messages: batch.map((event) => ({ key: event.user_id, value: JSON.stringify(event) })),
      });
      onProgress(Math.min(events.length, offset + batch.length));
    }
  } finally {
    await producer.disconnect();
  }
}
