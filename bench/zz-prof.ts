import { encodeKafkaEvent } from '@apphub/kafka-event';
import {
  Lake,
  parseDatasetDescriptor,
  processKafkaEvent,
  sampleBatcherDescriptor,
} from '@apphub/microbatcher';
import { createLogger, Metrics } from '@apphub/observability';
import { parseLocalEndpoints, platform } from '@apphub/platform';
import { WatermarkStore } from '@apphub/watermarks';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localAwsClients } from '../local/src/stack/index.js';

const aws = localAwsClients(parseLocalEndpoints());
const ds = `prof-${Date.now()}`;
const descriptor = parseDatasetDescriptor({
  ...sampleBatcherDescriptor,
  dataset: ds,
  topic: 't',
  topicPartitions: 1,
});
const quiet = () => undefined;
const timings: Record<string, number> = {};
function timed<T extends object>(target: T, label: string): T {
  return new Proxy(target, {
    get(obj, prop, recv) {
      const v = Reflect.get(obj, prop, recv);
      if (typeof v !== 'function') return v;
      return async (...args: unknown[]) => {
        const t = performance.now();
        try {
          return await v.apply(obj, args);
        } finally {
          const k = `${label}.${String(prop)}`;
          timings[k] = (timings[k] ?? 0) + performance.now() - t;
        }
      };
    },
  });
}
const context = {
  descriptors: [descriptor],
  lake: timed(new Lake(aws.s3, platform.storage.dataLakeBucket), 'lake'),
  store: timed(
    new WatermarkStore(DynamoDBDocumentClient.from(aws.dynamodb), platform.storage.watermarkTable),
    'store',
  ),
  logger: createLogger('p', { sink: quiet }),
  metricsFor: (d: string) => new Metrics('x', { Dataset: d }, quiet),
};
const base = Date.UTC(2026, 10, 29);
for (let b = 0; b < 4; b++) {
  const records = Array.from({ length: 10000 }, (_, i) => {
    const idx = b * 10000 + i;
    const start = base + Math.floor(idx / 1000) * 60000;
    const w = { user_id: `u-${idx % 1000}`, window_start: new Date(start).toISOString() };
    return {
      topic: 't',
      partition: 0,
      offset: idx,
      timestamp: start,
      key: Buffer.from(JSON.stringify(w)),
      value: Buffer.from(
        JSON.stringify({
          ...w,
          window_end: new Date(start + 60000).toISOString(),
          event_count: 3,
          total_value: 1.5,
        }),
      ),
    };
  });
  const event = encodeKafkaEvent(records);
  for (const k of Object.keys(timings)) delete timings[k];
  const t4 = performance.now();
  await processKafkaEvent(context as never, event);
  console.log(
    'total',
    Math.round(performance.now() - t4),
    Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])),
  );
}
