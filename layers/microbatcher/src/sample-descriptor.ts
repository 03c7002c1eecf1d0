import { platform } from '@apphub/platform/settings';
import type { DatasetDescriptorInput } from './descriptor.js';

/**
 * Descriptor of the sample job's output (Flink upsert-kafka, 1-minute tumbling aggregates per user),
 * used by `npm run batcher` and `npm run demo` when TIMESTORE_STREAMING_BATCHERS is unset. Storage
 * windows are 10 minutes; an aggregate may be re-emitted up to 2 minutes after its window closes.
 */
export const sampleBatcherDescriptor = {
  dataset: 'user-activity-1m',
  topic: platform.topics.aggregates.name,
  schema: {
    fields: [
      { name: 'user_id', type: 'string' },
      { name: 'window_start', type: 'timestamp' },
      { name: 'window_end', type: 'timestamp' },
      { name: 'event_count', type: 'int64' },
      { name: 'total_value', type: 'decimal(38, 9)' },
    ],
  },
  timestampField: 'window_start',
  partitionKeys: [],
  windowDuration: '10 min',
  allowedLateness: '2 min',
  upsertKey: ['user_id', 'window_start'],
  idleTimeout: '1 min',
  topicPartitions: platform.topics.aggregates.partitions,
} as const satisfies DatasetDescriptorInput;

/** TIMESTORE_STREAMING_BATCHERS value holding only the sample dataset. */
export const sampleBatchersJson = JSON.stringify([sampleBatcherDescriptor]);
