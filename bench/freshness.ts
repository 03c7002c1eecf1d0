import type { KafkaClient } from '@apphub/kafka-client';
import {
  handleBatcherEvent,
  parseDatasetDescriptor,
  sampleBatcherDescriptor,
  windowManifestSchema,
} from '@apphub/microbatcher';
import type { LocalEndpoints } from '@apphub/platform';
import { windowStartOf } from '@apphub/watermarks';
import { BatcherRunner } from '../local/src/batcher/index.js';
import { loadEventSourceSettings } from '../local/src/batcher/settings.js';
import { aggregateMessage, benchPartitions } from './records.js';
import { createBenchTopic, quietBatcherContext } from './throughput.js';

/** Seconds from the watermark passing a window's end plus allowed lateness to its manifest being readable. */
export interface FreshnessResult {
  readonly windows: number;
  readonly seconds: readonly number[];
  readonly detail: string;
}

/** Short storage windows so that a run of a minute closes several of them. */
export const freshnessWindowMs = 5_000;
export const freshnessLatenessMs = 1_000;
const tickMs = 250;

/** Resolves after `ms`; the producer's pace and the poll's interval, not a wait for a condition. */
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Live freshness with the runner's default settings (cdk.json's event source settings, default
 * sealing interval): ticks (see {@link timeWindowsReadable}) on a fresh topic, a poller reading the
 * window states and fetching each window's manifest as soon as one is published.
 */
export async function measureFreshness(
  kafka: KafkaClient,
  endpoints: LocalEndpoints,
  windows: number,
): Promise<FreshnessResult> {
  const topic = await createBenchTopic(kafka, 'bench-fresh');
  const descriptor = parseDatasetDescriptor({
    ...sampleBatcherDescriptor,
    dataset: topic,
    topic,
    topicPartitions: benchPartitions,
    windowDuration: `${freshnessWindowMs / 1000} s`,
    allowedLateness: `${freshnessLatenessMs / 1000} s`,
  });
  const context = quietBatcherContext(endpoints, descriptor);
  const settings = loadEventSourceSettings();
  const runner = new BatcherRunner({
    kafka,
    mappings: [{ topic, groupId: `${topic}-batcher` }],
    logger: context.logger,
    settings,
    fromBeginning: true,
    invoke: (event) => handleBatcherEvent(context, event),
  });
  await runner.start();
  const published = new Set<number>();
  const seconds = await timeWindowsReadable(kafka, topic, windows, 120_000, async (from, to) => {
    for (const state of await context.store.windows.list(descriptor.dataset, from, to)) {
      if (published.has(state.windowStart) || state.manifestKey === undefined) continue;
      await context.lake.getJson(state.manifestKey, windowManifestSchema);
      published.add(state.windowStart);
    }
    return published;
  });
  await runner.stop();
  return {
    windows,
    seconds,
    detail: `${seconds.length}/${windows} windows of ${freshnessWindowMs / 1000} s + ${freshnessLatenessMs / 1000} s lateness; batch size ${settings.batchSize}, batching window ${settings.batchingWindowSeconds} s (cdk.json)`,
  };
}

/**
 * Live ticks on `topic`: every 250 ms one aggregate per partition whose event time is the wall
 * clock, so the watermark (the slowest partition's newest event time, less the lateness) passes a
 * window's end plus lateness when the first tick at or after that time is sent. Meanwhile `readable`
 * is polled with the range of the `windows` measured windows and answers the starts of those a reader
 * can read now. Returns, per window that became readable within `patienceMs` of the last one's due
 * time, the seconds from that tick to the poll that first saw it.
 */
export async function timeWindowsReadable(
  kafka: KafkaClient,
  topic: string,
  windows: number,
  patienceMs: number,
  readable: (from: number, to: number) => Promise<ReadonlySet<number>>,
): Promise<number[]> {
  /** Wall time at which the tick moving the watermark past each window's end + lateness was sent. */
  const passedAt = new Map<number, number>();
  const readableAt = new Map<number, number>();
  const firstWindow = windowStartOf(Date.now(), freshnessWindowMs) + freshnessWindowMs;
  const measured = Array.from({ length: windows }, (_, index) => firstWindow + index * freshnessWindowMs);
  const lastDue = measured[measured.length - 1]! + freshnessWindowMs + freshnessLatenessMs;
  let producing = true;
  const produce = (async () => {
    while (producing) {
      const now = Date.now();
      await kafka.produce(
        topic,
        Array.from({ length: benchPartitions }, (_, partition) => ({
          partition,
          ...aggregateMessage(`u-${partition}-${now}`, now, 1),
        })),
      );
      for (const start of measured)
        if (!passedAt.has(start) && now >= start + freshnessWindowMs + freshnessLatenessMs)
          passedAt.set(start, now);
      await pause(tickMs);
    }
  })();
  try {
    while (readableAt.size < measured.length && Date.now() <= lastDue + patienceMs) {
      const seen = await readable(measured[0]!, lastDue);
      for (const start of measured)
        if (seen.has(start) && !readableAt.has(start)) readableAt.set(start, Date.now());
      await pause(100);
    }
  } finally {
    producing = false;
    await produce;
  }
  return measured.flatMap((start) => {
    const passed = passedAt.get(start);
    const seen = readableAt.get(start);
    return passed === undefined || seen === undefined ? [] : [Math.max(0, seen - passed) / 1000];
  });
}
