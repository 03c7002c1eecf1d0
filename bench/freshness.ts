import { randomUUID } from 'node:crypto';
import {
  handleBatcherEvent,
  parseDatasetDescriptor,
  sampleBatcherDescriptor,
  type WindowManifest,
} from '@apphub/microbatcher';
import type { LocalEndpoints } from '@apphub/platform';
import { windowStartOf } from '@apphub/watermarks';
import type { Kafka } from 'kafkajs';
import { BatcherRunner } from '../local/src/batcher/index.js';
import { loadEventSourceSettings } from '../local/src/batcher/settings.js';
import { createTopicsWithLeaders } from '../local/src/stack/index.js';
import { aggregateMessage, benchPartitions } from './records.js';
import { quietBatcherContext } from './throughput.js';

/** Seconds from the watermark passing a window's end plus allowed lateness to its manifest being readable. */
export interface FreshnessResult {
  readonly windows: number;
  readonly seconds: readonly number[];
  readonly detail: string;
}

/** Short storage windows so that a run of a minute closes several of them. */
const windowMs = 5_000;
const latenessMs = 1_000;
const tickMs = 250;

/** Resolves after `ms`; the producer's pace and the poll's interval, not a wait for a condition. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Live freshness with the runner's default settings (cdk.json's event source settings, default
 * sealing interval): every 250 ms one aggregate per partition whose event time is the wall clock,
 * so the watermark (the slowest partition's newest event time) passes a window's end plus lateness
 * when the first tick at or after that time is sent. A poller reads the window states and fetches
 * each window's manifest as soon as one is published.
 */
export async function measureFreshness(
  kafka: Kafka,
  endpoints: LocalEndpoints,
  windows: number,
): Promise<FreshnessResult> {
  const topic = `bench-fresh-${randomUUID().slice(0, 8)}`;
  const admin = kafka.admin();
  await admin.connect();
  await createTopicsWithLeaders(admin, [{ topic, numPartitions: benchPartitions, replicationFactor: 1 }]);
  await admin.disconnect();
  const descriptor = parseDatasetDescriptor({
    ...sampleBatcherDescriptor,
    dataset: topic,
    topic,
    topicPartitions: benchPartitions,
    windowDuration: `${windowMs / 1000} s`,
    allowedLateness: `${latenessMs / 1000} s`,
  });
  const context = quietBatcherContext(endpoints, descriptor);
  const settings = loadEventSourceSettings();
  const runner = new BatcherRunner({
    kafka,
    groupId: `${topic}-batcher`,
    topics: [topic],
    logger: context.logger,
    settings,
    fromBeginning: true,
    invoke: (event) => handleBatcherEvent(context, event),
  });
  await runner.start();

  const producer = kafka.producer();
  await producer.connect();
  /** Wall time at which the tick moving the watermark past each window's end + lateness was sent. */
  const passedAt = new Map<number, number>();
  const readableAt = new Map<number, number>();
  const firstWindow = windowStartOf(Date.now(), windowMs) + windowMs;
  const measured = Array.from({ length: windows }, (_, index) => firstWindow + index * windowMs);
  const lastDue = measured[measured.length - 1]! + windowMs + latenessMs;
  let producing = true;
  const produce = (async () => {
    while (producing) {
      const now = Date.now();
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: benchPartitions }, (_, partition) => ({
          partition,
          ...aggregateMessage(`u-${partition}-${now}`, now, 1),
        })),
      });
      for (const start of measured)
        if (!passedAt.has(start) && now >= start + windowMs + latenessMs) passedAt.set(start, now);
      await pause(tickMs);
    }
  })();
  const poll = (async () => {
    while (readableAt.size < measured.length) {
      const states = await context.store.windows.list(descriptor.dataset, measured[0]!, lastDue);
      for (const state of states) {
        if (!measured.includes(state.windowStart) || readableAt.has(state.windowStart)) continue;
        if (state.manifestKey === undefined) continue;
        await context.lake.getJson<WindowManifest>(state.manifestKey);
        readableAt.set(state.windowStart, Date.now());
      }
      if (Date.now() > lastDue + 120_000) break;
      await pause(100);
    }
  })();
  await poll;
  producing = false;
  await produce;
  await producer.disconnect();
  await runner.stop();
  const seconds = measured.flatMap((start) => {
    const passed = passedAt.get(start);
    const readable = readableAt.get(start);
    return passed === undefined || readable === undefined ? [] : [Math.max(0, readable - passed) / 1000];
  });
  return {
    windows: measured.length,
    seconds,
    detail: `${seconds.length}/${measured.length} windows of ${windowMs / 1000} s + ${latenessMs / 1000} s lateness; batch size ${settings.batchSize}, batching window ${settings.batchingWindowSeconds} s (cdk.json)`,
  };
}
