import { randomUUID } from 'node:crypto';
import { FlinkRestClient, SqlGatewayClient } from '@apphub/flink';
import type { KafkaClient, OutgoingRecord } from '@apphub/kafka-client';
import { type LocalEndpoints, platform } from '@apphub/platform';
import { followTopic } from '../local/src/sample/consume.js';
import { renderSampleJob, type SampleJobOptions } from '../local/src/sample/submit.js';
import { median } from './handler.js';

/**
 * The sample job and its peer: the sample job's own statements, the peer's with the input table
 * swapped for one read by Flink's json format (bench/sql/json-input.sql), so nothing else differs.
 */
export const sampleJobVariants = [
  { name: 'sample job (apphub-checked-json, dead letters)', inputTable: undefined },
  { name: "peer ('format' = 'json', no dead letters)", inputTable: 'bench/sql/json-input.sql' },
] as const;

type SampleJobVariant = (typeof sampleJobVariants)[number];

/** The statement that creates the sample job's input table. */
const inputTableStatement = /^CREATE\s+TEMPORARY\s+TABLE\s+apphub_streaming_input\b/i;

/** The variant's statements for `options`: the sample job's, with the peer's input table swapped in. */
export function variantStatements(variant: SampleJobVariant, options: SampleJobOptions): string[] {
  const statements = renderSampleJob(options);
  if (variant.inputTable === undefined) return statements;
  const index = statements.findIndex((statement) => inputTableStatement.test(statement));
  const replacement = renderSampleJob({ ...options, templatePath: variant.inputTable });
  if (index < 0 || replacement.length !== 1 || !inputTableStatement.test(replacement[0]!))
    throw new Error(
      `${variant.inputTable} must hold one CREATE TEMPORARY TABLE apphub_streaming_input, replacing the sample job's`,
    );
  return statements.with(index, replacement[0]!);
}

export interface SampleJobRun {
  readonly name: string;
  readonly events: number;
  /** From submission until the backlog's last window is on the sink topic. */
  readonly seconds: number;
  readonly eventsPerSecond: number;
  /** Busy time of all subtasks per event (accumulateBusyTimeMs), in microseconds. */
  readonly busyMicrosPerEvent: number;
}

const partitions = 4;
const users = 1000;
const minutes = 50;
const windowMs = 60_000;

/**
 * Produces `events` sample events spread evenly over 50 minutes for 1000 users (a little out of
 * order, within the watermark delay), keyed by user over 4 partitions, then one closer per partition
 * two minutes later so every data window closes. Returns the start of the last data window.
 */
export async function seedSampleBacklog(
  kafka: KafkaClient,
  topic: string,
  events: number,
  progress: (line: string) => void,
): Promise<string> {
  await kafka.createTopics([{ name: topic, partitions, replicationFactor: 1, config: {} }]);
  const start = Date.parse('2026-11-29T10:00:00.000Z');
  const spanMs = minutes * windowMs;
  {
    const batch = 20_000;
    for (let first = 0; first < events; first += batch) {
      const records: OutgoingRecord[] = [];
      for (let index = first; index < Math.min(first + batch, events); index++) {
        const user = (index * 7919) % users;
        // Up to 2 s early: out of order, but within the 5 s watermark delay, so nothing is late.
        const at = start + Math.floor((index / events) * spanMs) - ((index * 31) % 2_000);
        const event = {
          event_id: `e${index}`,
          user_id: `user-${user}`,
          event_type: 'click',
          value: ((index * 13) % 1000) / 100,
          occurred_at: new Date(Math.max(start, at)).toISOString(),
        };
        const partition = user % partitions;
        records.push({ key: event.user_id, value: JSON.stringify(event), partition });
      }
      await kafka.produce(topic, records);
      if ((first / batch) % 10 === 0) progress(`  seeded ${first + batch} of ${events} events`);
    }
    const closerAt = new Date(start + spanMs + 2 * windowMs).toISOString();
    await kafka.produce(
      topic,
      Array.from({ length: partitions }, (_, partition) => ({
        partition,
        key: 'closer',
        value: JSON.stringify({
          event_id: `closer-${partition}`,
          user_id: 'closer',
          value: 0,
          occurred_at: closerAt,
        }),
      })),
    );
  }
  return new Date(start + spanMs - windowMs).toISOString();
}

/** Waits until `read` gives the same value twice in a row at the metric fetch pace (metrics lag). */
async function settledValue(read: () => Promise<number>, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const current = await read();
    if (current === last && current > 0) return current;
    last = current;
  }
  return last;
}

/** A drain's fresh sink topics, and a wait for the last data window's aggregate on its output topic. */
export interface DrainSink {
  /** Resolves once the last window is on the output topic; rejects after 15 minutes, naming `what`. */
  lastWindow(what: string): Promise<void>;
  stop(): Promise<void>;
}

/** Creates the output and dead-letter topics of one drain and follows the output for the last window. */
export async function drainTopics(
  kafka: KafkaClient,
  topics: { readonly outputTopic: string; readonly deadLetterTopic: string },
  lastWindowStart: string,
): Promise<DrainSink> {
  await kafka.createTopics([
    { name: topics.outputTopic, partitions: 1, replicationFactor: 1, config: {} },
    { name: topics.deadLetterTopic, partitions: 1, replicationFactor: 1, config: {} },
  ]);
  let done: () => void = () => {};
  const arrived = new Promise<void>((resolve) => {
    done = resolve;
  });
  const stop = await followTopic(kafka, topics.outputTopic, (record) => {
    if (record.value?.includes(`"window_start":"${lastWindowStart}"`)) done();
  });
  return {
    lastWindow: (what) =>
      Promise.race([
        arrived,
        new Promise<never>((_, reject) =>
          setTimeout(
            () => reject(new Error(`${what}: no last window after 15 minutes`)),
            15 * 60_000,
          ).unref(),
        ),
      ]),
    stop,
  };
}

/**
 * Runs one variant over the whole backlog of `inputTopic` from the earliest offset: the time from
 * submission until the last data window's aggregate is on a fresh sink topic, and the busy time of
 * all subtasks once the job is idle. The job is cancelled afterwards.
 */
export async function drainBacklog(
  kafka: KafkaClient,
  endpoints: LocalEndpoints,
  variant: SampleJobVariant,
  inputTopic: string,
  events: number,
  lastWindowStart: string,
): Promise<SampleJobRun> {
  const suffix = randomUUID().slice(0, 8);
  const outputTopic = `bench-sample-out-${suffix}`;
  const deadLetterTopic = `bench-sample-dlq-${suffix}`;
  const sink = await drainTopics(kafka, { outputTopic, deadLetterTopic }, lastWindowStart);
  const rest = new FlinkRestClient({ baseUrl: endpoints.flinkRestUrl });
  const gateway = new SqlGatewayClient({ baseUrl: endpoints.sqlGatewayUrl });
  const jobName = `bench-sample-${suffix}`;
  const started = performance.now();
  const { jobId } = await gateway.runStatements(
    variantStatements(variant, {
      jobName,
      inputTopic,
      outputTopic,
      deadLetterTopic,
      groupId: jobName,
      startupMode: 'earliest-offset',
    }),
    // The cluster's default parallelism (platform.flink.parallelism), as the sample job runs.
    { sessionName: jobName },
  );
  try {
    await sink.lastWindow(variant.name);
    const seconds = (performance.now() - started) / 1000;
    const busyMs = await settledValue(() => rest.accumulatedBusyTimeMs(jobId), 60_000);
    return {
      name: variant.name,
      events,
      seconds,
      eventsPerSecond: events / seconds,
      busyMicrosPerEvent: (busyMs * 1000) / events,
    };
  } finally {
    await sink.stop();
    await rest.cancel(jobId).catch(() => undefined);
  }
}

/** The ratio the sample job must reach against the peer's events/s. */
export const sampleJobTarget = 0.8;

/**
 * Seeds one backlog of `events` events and drains it `runs` times with each variant, alternating,
 * so both see the same machine; prints the medians and returns the ratio of events/s.
 */
export async function reportSampleJob(
  kafka: KafkaClient,
  endpoints: LocalEndpoints,
  events: number,
  runs: number,
  progress: (line: string) => void = (line) => console.error(line),
): Promise<{ ratio: number; detail: string }> {
  const inputTopic = `bench-sample-in-${randomUUID().slice(0, 8)}`;
  progress(`seeding ${inputTopic} with ${events} sample events on ${partitions} partitions...`);
  const lastWindowStart = await seedSampleBacklog(kafka, inputTopic, events, progress);
  const results = new Map<string, SampleJobRun[]>(sampleJobVariants.map((variant) => [variant.name, []]));
  // Run 0 warms up the TaskManagers' JIT for both variants and is not counted (the first drain after
  // a start took up to twice as long); the order alternates, so neither variant always goes first.
  for (let run = 0; run <= runs; run++) {
    const order = run % 2 === 0 ? sampleJobVariants : [...sampleJobVariants].reverse();
    for (const variant of order) {
      const label = run === 0 ? 'warm-up' : `run ${run} of ${runs}`;
      progress(`draining the backlog with the ${variant.name}, ${label}...`);
      const result = await drainBacklog(kafka, endpoints, variant, inputTopic, events, lastWindowStart);
      progress(`  ${result.seconds.toFixed(1)} s, ${Math.round(result.eventsPerSecond)} events/s`);
      if (run > 0) results.get(variant.name)!.push(result);
    }
  }
  const rows = sampleJobVariants.map((variant) => {
    const runsOf = results.get(variant.name)!;
    return {
      name: variant.name,
      seconds: median(runsOf.map((r) => r.seconds)),
      eventsPerSecond: median(runsOf.map((r) => r.eventsPerSecond)),
      busy: median(runsOf.map((r) => r.busyMicrosPerEvent)),
    };
  });
  const [sample, peer] = rows as [(typeof rows)[number], (typeof rows)[number]];
  const ratio = sample.eventsPerSecond / peer.eventsPerSecond;
  console.log(
    `\nSample job on a backlog of ${events} events (${inputTopic}, parallelism ${platform.flink.parallelism}, median of ${runs} runs each after a warm-up, alternating)\n`,
  );
  console.log('| job | drain s (incl. submit) | events/s | busy time per event (µs) |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(
      `| ${row.name} | ${row.seconds.toFixed(1)} | ${Math.round(row.eventsPerSecond)} | ${row.busy.toFixed(1)} |`,
    );
  }
  return {
    ratio,
    detail: `${events} events, median of ${runs}; busy µs/event ${sample.busy.toFixed(1)} vs ${peer.busy.toFixed(1)}`,
  };
}
