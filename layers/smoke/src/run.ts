import type { KafkaClient } from '@apphub/kafka-client';
import {
  type DatasetDescriptor,
  isWindowSealed,
  type Lake,
  policyOf,
  queryDataset,
  windowManifestSchema,
} from '@apphub/microbatcher';
import { describeError, z } from '@apphub/platform';
import type { SampleEvent } from '@apphub/sample';
import { type WatermarkStore, windowStartOf } from '@apphub/watermarks';
import {
  type AggregateComparison,
  type ComparableAggregate,
  comparable,
  compareAggregates,
  describeComparison,
  matches,
} from './compare.js';
import { SmokeStepFailedError } from './errors.js';
import { newSmokeRunId } from './marker.js';
import {
  closingEvents,
  isSampleUser,
  type PlacedEvent,
  type SmokeSample,
  smokeProductionTime,
  smokeSample,
} from './sample.js';

export type SmokeStatus = 'PASS' | 'FAIL' | 'SKIP';

/** One row of the smoke table. */
export interface SmokeStep {
  readonly name: string;
  readonly status: SmokeStatus;
  readonly seconds: number;
  /** What was found or done, in one line; for a failure, what is wrong. */
  readonly detail: string;
}

/** The outcome of one smoke run, as the native CLI prints it and the smoke function returns it. */
export interface SmokeReport {
  readonly runId: string;
  readonly target: string;
  readonly passed: boolean;
  readonly steps: readonly SmokeStep[];
}

/** A step the environment adds before the sample is sent: it makes sure, or checks, that part of the pipeline runs. */
export interface SmokePreparation {
  readonly name: string;
  /** Returns its detail line; throws (one line) when that part of the pipeline is not there. */
  readonly run: () => Promise<string>;
}

/** Everything a smoke run uses, wired by the environment it runs in (native CLI, smoke function, tests). */
export interface SmokeContext {
  /** `native` or `aws`, as the table shows it. */
  readonly target: string;
  readonly kafka: KafkaClient;
  readonly topics: { readonly input: string; readonly aggregates: string };
  /** The dataset the micro-batcher writes the aggregates topic into. */
  readonly descriptor: DatasetDescriptor;
  readonly storage: { readonly lake: Lake; readonly store: WatermarkStore };
  /** The sample job's bounded out-of-orderness: a window closes once the watermark, newest event time less this, passes its end. */
  readonly watermarkDelayMs: number;
  readonly preparations: readonly SmokePreparation[];
  /** Asks the micro-batcher for a sealing pass (a quiet topic's windows seal only through one); absent when it runs its own. */
  readonly requestSealingPass?: (() => Promise<void>) | undefined;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface SmokeOptions {
  /** Default: a fresh one (newSmokeRunId). */
  readonly runId?: string | undefined;
  /** Epoch ms by which the run must be over; the waits share what is left. */
  readonly deadline: number;
  /** Longest wait for the aggregates after the window's closing events (default 120 s). */
  readonly aggregatesTimeoutMs?: number;
  /** Longest wait for the rows in the lake (default 120 s). */
  readonly rowsTimeoutMs?: number;
  /** Longest wait for their window to be sealed (default: until the deadline). */
  readonly sealTimeoutMs?: number;
  /** Interval of the sealing passes asked for (default 10 s). */
  readonly sealingPassEveryMs?: number;
}

/**
 * The seed's steps as one run: the environment's preparations, then a small sample with a fresh run
 * id into the input topic, the events that close its window, its aggregates on the aggregates topic
 * (equal, as decimal text, to those computed from the sample), the same rows in the lake, and their
 * window sealed (manifest readable, watermark past the window plus its lateness). Each step is timed;
 * after a failure the rest are skipped. Never throws for a failing pipeline: the report says it.
 */
export async function runSmoke(context: SmokeContext, options: SmokeOptions): Promise<SmokeReport> {
  const now = context.now ?? Date.now;
  const sleep = context.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const runId = options.runId ?? newSmokeRunId(now());
  const steps: SmokeStep[] = [];
  let failed = false;
  const step = async (name: string, run: () => Promise<string>): Promise<void> => {
    if (failed) {
      steps.push({ name, status: 'SKIP', seconds: 0, detail: 'not run: an earlier step failed' });
      return;
    }
    const started = now();
    try {
      const detail = await run();
      steps.push({ name, status: 'PASS', seconds: (now() - started) / 1000, detail });
    } catch (error) {
      failed = true;
      steps.push({ name, status: 'FAIL', seconds: (now() - started) / 1000, detail: describeError(error) });
    }
  };
  const waitUntil = async (time: number) => {
    while (now() < time) await sleep(Math.min(1_000, time - now()));
  };
  const until = (timeoutMs: number | undefined) =>
    Math.min(options.deadline, timeoutMs === undefined ? options.deadline : now() + timeoutMs);

  for (const preparation of context.preparations) await step(preparation.name, preparation.run);

  let sample: SmokeSample | undefined;
  let from: ReadonlyMap<number, string> = new Map();
  let partitions = 0;
  await step(`produce the sample to ${context.topics.input}`, async () => {
    const observed = await context.kafka.observe([context.topics.input]);
    partitions = observed.topics[0]?.partitions ?? 0;
    if (partitions === 0) throw new SmokeStepFailedError(`topic ${context.topics.input} does not exist`);
    const producedAt = smokeProductionTime(now());
    await waitUntil(producedAt);
    sample = smokeSample(runId, producedAt, partitions);
    from = await context.kafka.endOffsets(context.topics.aggregates);
    await produce(context, sample.events);
    const users = new Set(sample.events.map((placed) => placed.event.user_id)).size;
    return `${sample.events.length} events of ${users} users on all ${partitions} partitions, window ${clock(sample.windowStart)}-${clock(sample.windowEnd)}, run ${runId}`;
  });

  await step('close the window', async () => {
    const closeAt = sample!.windowEnd + context.watermarkDelayMs + 1_000;
    await waitUntil(closeAt);
    await produce(context, closingEvents(sample!, now(), partitions));
    return `one event at ${clock(now())} on each of the ${partitions} partitions: the watermark (newest event less ${context.watermarkDelayMs / 1000} s) passes ${clock(sample!.windowEnd)} on all of them`;
  });

  await step(`aggregates on ${context.topics.aggregates}`, async () => {
    const arrived = new Map<string, ComparableAggregate>();
    let comparison: AggregateComparison = compareAggregates(sample!.expected, []);
    const complete = await context.kafka.readUntil(
      context.topics.aggregates,
      from,
      (record) => {
        const row = parseAggregate(record.value);
        if (row === undefined || !isSampleUser(runId, row.user_id)) return false;
        const value = comparable(row);
        arrived.set(`${value.user_id}@${value.window_start}`, value);
        comparison = compareAggregates(sample!.expected, [...arrived.values()]);
        return matches(comparison);
      },
      until(options.aggregatesTimeoutMs ?? 120_000),
    );
    const detail = describeComparison(comparison, sample!.expected.length);
    if (!complete) throw new SmokeStepFailedError(`after waiting: ${detail}`);
    return `${detail} (count and total as decimal text)`;
  });

  const descriptor = context.descriptor;
  const range = { from: sample?.windowStart ?? 0, to: sample?.windowEnd ?? 1 };
  const runRows = async () =>
    (await queryDataset(context.storage, descriptor, range)).rows.filter((row) =>
      isSampleUser(runId, row.values.user_id),
    );
  let lastPass = 0;
  const sealingPass = async () => {
    if (context.requestSealingPass === undefined || now() - lastPass < (options.sealingPassEveryMs ?? 10_000))
      return;
    lastPass = now();
    // Only a shortcut: the micro-batcher's own schedule runs the same pass, so a failed request is not
    // the pipeline's failure (the step still fails if the window never seals).
    await context.requestSealingPass().catch(() => undefined);
  };

  await step(`rows in the lake (${descriptor.dataset})`, async () => {
    const deadline = until(options.rowsTimeoutMs ?? 120_000);
    let comparison: AggregateComparison = compareAggregates(sample!.expected, []);
    for (;;) {
      comparison = compareAggregates(
        sample!.expected,
        (await runRows()).map((row) => comparable(row.values)),
      );
      if (matches(comparison)) break;
      if (now() >= deadline)
        throw new SmokeStepFailedError(
          `after waiting: ${describeComparison(comparison, sample!.expected.length)}`,
        );
      await sleep(2_000);
    }
    return `${describeComparison(comparison, sample!.expected.length)} (hot or sealed)`;
  });

  await step('window sealed in the lake', async () => {
    const policy = policyOf(descriptor);
    const windowStart = windowStartOf(sample!.windowStart, policy.windowDurationMs);
    const closesAt = windowStart + policy.windowDurationMs + policy.allowedLatenessMs;
    const deadline = until(options.sealTimeoutMs);
    for (;;) {
      await sealingPass();
      const rows = await runRows();
      const [window, { watermark }] = await Promise.all([
        context.storage.store.windows.get(descriptor.dataset, windowStart),
        context.storage.store.watermarks.get(descriptor.dataset),
      ]);
      const sealed =
        window !== undefined &&
        isWindowSealed(descriptor, window, watermark) &&
        rows.every((row) => row.status === 'sealed');
      if (sealed) {
        // Parsed with the lake's own schema: a malformed manifest fails naming its key.
        const manifest = await context.storage.lake.getJson(window.manifestKey!, windowManifestSchema);
        const comparison = compareAggregates(
          sample!.expected,
          rows.map((row) => comparable(row.values)),
        );
        if (!matches(comparison))
          throw new SmokeStepFailedError(
            `sealed, but ${describeComparison(comparison, sample!.expected.length)}`,
          );
        return `window ${clock(windowStart)}-${clock(windowStart + policy.windowDurationMs)} sealed: manifest ${window.manifestKey} (version ${manifest.version}, ${manifest.files.length} files) readable, watermark ${clock(watermark!)} (window end plus lateness: ${clock(closesAt)})`;
      }
      if (now() >= deadline) {
        throw new SmokeStepFailedError(
          `window ${clock(windowStart)} not sealed: ${rows.filter((row) => row.status === 'sealed').length} of ${rows.length} rows sealed, watermark ${watermark === undefined ? 'none' : clock(watermark)}; it seals once the watermark passes ${clock(closesAt)} (window end plus lateness), or once every partition of ${descriptor.topic} has been quiet for ${policy.idleTimeoutMs / 1000} s`,
        );
      }
      await sleep(2_000);
    }
  });

  return { runId, target: context.target, passed: steps.every((each) => each.status === 'PASS'), steps };
}

async function produce(context: SmokeContext, events: readonly PlacedEvent[]): Promise<void> {
  await context.kafka.produce(
    context.topics.input,
    events.map(({ event, partition }: { event: SampleEvent; partition: number }) => ({
      key: event.user_id,
      value: JSON.stringify(event),
      partition,
    })),
  );
}

const aggregateSchema = z.looseObject({
  user_id: z.string(),
  window_start: z.string(),
  event_count: z.union([z.number(), z.string()]),
  total_value: z.union([z.number(), z.string()]),
});

/**
 * An aggregate record's value (upsert-kafka JSON), or undefined for a tombstone or another shape.
 * `total_value` keeps the decimal text Flink wrote: JSON.parse would round it to a double.
 */
export function parseAggregate(value: string | null): z.output<typeof aggregateSchema> | undefined {
  if (value === null) return undefined;
  try {
    const parsed = aggregateSchema.safeParse(JSON.parse(value));
    if (!parsed.success) return undefined;
    const exact = /"total_value"\s*:\s*(-?\d+(?:\.\d+)?)\s*[,}]/.exec(value)?.[1];
    return exact === undefined ? parsed.data : { ...parsed.data, total_value: exact };
  } catch {
    return undefined;
  }
}

/** An epoch-ms time as HH:MM:SS UTC, for the table. */
function clock(time: number): string {
  return `${new Date(time).toISOString().slice(11, 19)}Z`;
}
