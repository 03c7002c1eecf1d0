import { isKafkaEvent } from '@apphub/kafka-event';
import { type DatasetBatchSummary, ensureDatasetSchema, metricsOf, processKafkaEvent } from './batch.js';
import type { BatcherContext } from './batcher-context.js';
import { MicroBatcherError } from './errors.js';
import { withRequestLimit } from './request-limit.js';
import { sealDueWindows } from './sealing-pass.js';

/** The payload is neither a Kafka event nor a scheduled event. */
export class BatcherEventUnsupportedError extends MicroBatcherError {}

/** Whether `event` is an EventBridge scheduled event. */
export function isScheduledEvent(event: unknown): boolean {
  return (
    typeof event === 'object' &&
    event !== null &&
    (event as { source?: unknown }).source === 'aws.events' &&
    (event as { 'detail-type'?: unknown })['detail-type'] === 'Scheduled Event'
  );
}

/**
 * Entry point of the micro-batcher: a Kafka event is micro-batched; a scheduled event runs the
 * sealing pass for every dataset, so windows of datasets that went idle seal without new records.
 */
export async function handleBatcherEvent(
  batcherContext: BatcherContext,
  event: unknown,
): Promise<Record<string, Partial<DatasetBatchSummary>>> {
  // One limit on the invocation's S3 requests, shared by every dataset and step.
  const context = withRequestLimit(batcherContext);
  if (isKafkaEvent(event)) return processKafkaEvent(context, event);
  if (isScheduledEvent(event)) {
    const summaries: Record<string, Partial<DatasetBatchSummary>> = {};
    for (const descriptor of context.descriptors) {
      const metrics = metricsOf(context, descriptor.dataset);
      // A pass seals hot parts into files of the descriptor's schema: it must be the one in force.
      await ensureDatasetSchema(context, descriptor);
      summaries[descriptor.dataset] = await sealDueWindows(context, descriptor, { metrics });
    }
    return summaries;
  }
  throw new BatcherEventUnsupportedError(
    'micro-batcher received an event that is neither a Kafka event (aws:kafka, SelfManagedKafka) nor a scheduled event',
  );
}
