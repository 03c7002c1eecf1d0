/**
 * Runs in a child process of `npm run bench` (its stdout, where the handler logs, is discarded): the
 * micro-batcher function's handler (functions/micro-batcher createHandler, the Lambda wiring) fed
 * MSK-shaped events in process, storage on the local endpoints. Mode `cpu`: warm-up invocations,
 * then `runs` measured ones, each on a fresh dataset, and where the time goes, sampled by the
 * profiler in three more invocations. Mode `rss`: one invocation in a fresh process, its peak RSS.
 * Sends one JSON result to the parent over IPC.
 */
import { randomUUID } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { encodeKafkaEvent } from '@apphub/kafka-event';
import { type BatcherConfig, parseDatasetDescriptor, sampleBatcherDescriptor } from '@apphub/microbatcher';
import { parseLocalEndpoints, platform } from '@apphub/platform';
import { createHandler } from '../functions/micro-batcher/create-handler.js';
import { lambdaContext } from '../local/src/batcher/local-handler.js';
import { type CostCategory, categorizeProfile } from './profile.js';
import { partitionRecords } from './records.js';

export interface HandlerRun {
  readonly records: number;
  /** CPU time of the process (all threads) during the invocation, µs per record. */
  readonly cpuMicrosPerRecord: number;
  /** Wall time of the invocation, µs per record. */
  readonly wallMicrosPerRecord: number;
  /** Garbage-collection pauses during the invocation, µs per record. */
  readonly gcMicrosPerRecord: number;
  /** HTTP requests to S3 and DynamoDB during the invocation. */
  readonly storageRequests: number;
}

/** Where the handler's CPU time goes: shares of the profiled invocations' samples, by category. */
export type HandlerBreakdown = Readonly<Record<CostCategory, number>>;

export type HandlerChildResult =
  | { readonly mode: 'cpu'; readonly runs: HandlerRun[]; readonly breakdown: HandlerBreakdown }
  | { readonly mode: 'rss'; readonly records: number; readonly peakRssBytes: number };

function descriptorFor(dataset: string) {
  return parseDatasetDescriptor({ ...sampleBatcherDescriptor, dataset, topic: dataset, topicPartitions: 1 });
}

/** The event Lambda delivers for `records` records of one partition of a fresh dataset's topic. */
function benchEvent(dataset: string, records: number) {
  return encodeKafkaEvent(partitionRecords(dataset, 0, records));
}

/**
 * One handler (one warm function: clients and caches built once) reading `datasets` fresh datasets,
 * each from its own topic, so every invocation starts from an empty window state.
 */
function warmFunction(datasets: number) {
  const names = Array.from({ length: datasets }, () => `bench-handler-${randomUUID().slice(0, 8)}`);
  const endpoints = parseLocalEndpoints();
  const config: BatcherConfig = {
    descriptors: names.map(descriptorFor),
    bucket: platform.storage.dataLakeBucket,
    table: platform.storage.watermarkTable,
    awsEndpointUrl: endpoints.awsEndpointUrl,
    s3EndpointUrl: endpoints.s3EndpointUrl,
  };
  return { names, handler: createHandler(config) };
}

let requests = 0;
subscribe('http.client.request.start', () => {
  requests += 1;
});

let gcMillis = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMillis += entry.duration;
}).observe({ entryTypes: ['gc'] });

type Handler = ReturnType<typeof createHandler>;

/** One invocation on `dataset`'s topic; building the event is not counted. */
async function invokeOnce(handler: Handler, dataset: string, records: number): Promise<HandlerRun> {
  const event = benchEvent(dataset, records);
  const gcBefore = gcMillis;
  const requestsBefore = requests;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await handler(event, lambdaContext(dataset));
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return {
    records,
    cpuMicrosPerRecord: (used.user + used.system) / records,
    wallMicrosPerRecord: (wall * 1000) / records,
    gcMicrosPerRecord: ((gcMillis - gcBefore) * 1000) / records,
    storageRequests: requests - requestsBefore,
  };
}

/**
 * Profiles `runs` more invocations (the profiler slows them, so they are not among the measured ones)
 * and attributes each sample to a category by its stack.
 */
async function profileInvocations(
  handler: Handler,
  datasets: readonly string[],
  records: number,
): Promise<HandlerBreakdown> {
  const events = datasets.map((dataset) => ({ dataset, event: benchEvent(dataset, records) }));
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  for (const { dataset, event } of events) await handler(event, lambdaContext(dataset));
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  if (profileFile) writeFileSync(profileFile, JSON.stringify(profile));
  return categorizeProfile(profile);
}

const profiledRuns = 3;
/**
 * Invocations before the measured ones, as a warm function has served: V8 optimises the per-batch
 * code (processDatasetRecords, compactAndPublish, the SDK's request path) only after several batches,
 * each such compile costing 50-150 ms of CPU on a background thread; with one warm-up, the first,
 * second, fourth and fifth measured runs carried it (about 45 against 25 µs per record here).
 */
const warmUpInvocations = 6;
/** Where to keep the profile (a .cpuprofile for Chrome DevTools), when asked for. */
const profileFile = process.env.BENCH_HANDLER_PROFILE;

async function main(): Promise<void> {
  const [mode, recordsText, runsText] = process.argv.slice(2);
  const records = Number(recordsText ?? 10_000);
  let result: HandlerChildResult;
  if (mode === 'rss') {
    const { names, handler } = warmFunction(1);
    await invokeOnce(handler, names[0]!, records);
    // maxRSS is in kilobytes.
    result = { mode, records, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  } else {
    const runs = Number(runsText ?? 5);
    const { names, handler } = warmFunction(warmUpInvocations + runs + profiledRuns);
    // Warm-up: JIT, WebAssembly compilation and connections, as in a warm function.
    for (const dataset of names.slice(0, warmUpInvocations)) await invokeOnce(handler, dataset, records);
    const measured: HandlerRun[] = [];
    for (const dataset of names.slice(warmUpInvocations, warmUpInvocations + runs))
      measured.push(await invokeOnce(handler, dataset, records));
    const breakdown = await profileInvocations(handler, names.slice(warmUpInvocations + runs), records);
    result = { mode: 'cpu', runs: measured, breakdown };
  }
  process.send!(result);
  process.disconnect();
}

await main();
