import { FlinkRestClient } from '@apphub/flink';
import { connectKafka, type KafkaClient, type OutgoingRecord } from '@apphub/kafka-client';
import { createBatcherStorage, parseBatcherDescriptors, sampleBatchersJson } from '@apphub/microbatcher';
import { AWS_REQUEST_TIMEOUTS, type LocalEndpoints, parseLocalEndpoints, platform } from '@apphub/platform';
import { computeAggregates, windowMs } from '@apphub/sample';
import { FailedBatchStore } from '../batcher/index.js';
import { ensureSampleJobRunning } from '../sample/submit.js';
import { localAwsClients, localKafkaSecurity, stackStatus, waitUntil } from '../stack/index.js';
import { SoakStackNotReadyError } from './errors.js';
import { accountDeadLetters, checkExactness, type Exactness, isExact } from './exactness.js';
import { FAULT_SPECS, type FaultKind, faultLanes } from './faults.js';
import { type FaultContext, injectFault, pipelineWhole, replayFailedBatchesCli } from './inject.js';
import { deadLetterIds, lakeAggregates, readToEnd, sinkAggregates } from './outputs.js';
import type { FaultOutcome, SoakResult } from './report.js';
import { type SoakMapping, SoakRunner } from './runner.js';
import { type PlannedFault, planFaults } from './schedule.js';
import { SoakTraffic, soakPrefix } from './traffic.js';

export interface SoakOptions {
  readonly minutes: number;
  readonly seed: number;
  readonly kinds: readonly FaultKind[];
  readonly eventsPerSecond: number;
  readonly users: number;
  readonly endpoints?: LocalEndpoints;
  /** Progress lines (stderr in the CLI). */
  readonly say: (line: string) => void;
}

/**
 * The soak's event source mapping: invocations of 40 s (the shortest that still leaves the
 * handler 10 s to ride out an outage before its 30 s reserve) and one retry, so an outage of a few
 * minutes outlasts them; sealing passes every 5 s.
 */
const soakMapping = (runId: string): SoakMapping => ({
  stackPrefix: `soak-${runId}`,
  timeoutSeconds: 40,
  retryAttempts: 1,
  sealIntervalSeconds: 5,
});

/**
 * The longest request timeout of Kafka's clients: the Java client in Flink (request.timeout.ms, 30 s);
 * @platformatic/kafka gives up after 5 s. A hang outlasts it and the AWS clients' timeout.
 */
const KAFKA_REQUEST_TIMEOUT_MS = 30_000;

const clock = (ms: number) =>
  `${Math.floor(ms / 60_000)}:${String(Math.floor((ms % 60_000) / 1000)).padStart(2, '0')}`;

/**
 * Runs the soak on the running local stack: the sample job and a runner of its own, sample events
 * at a steady rate, the seeded faults in sequence and overlapping, then the outputs checked against
 * the aggregates computed from the events produced.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const endpoints = options.endpoints ?? parseLocalEndpoints();
  const say = options.say;
  const status = await stackStatus({ endpoints });
  if (!status.healthy) {
    const down = status.components.filter((component) => !component.healthy).map((c) => c.component);
    throw new SoakStackNotReadyError(
      `the local stack is not healthy (${down.join(', ')}); start it with npm run local:up`,
    );
  }
  const runId = Date.now().toString(36);
  const prefix = soakPrefix(runId);
  const isRunUser = (user: string) => user.startsWith(prefix) && !user.startsWith(`${prefix}closer-`);
  const kafka = await connectKafka({
    clientId: 'apphub-soak',
    brokers: endpoints.tlsBrokers,
    security: localKafkaSecurity(),
  });
  const jobName = platform.sampleJob.name;
  const topics = {
    input: platform.topics.input.name,
    sink: platform.topics.aggregates.name,
    deadLetter: platform.topics.deadLetter.name,
  };
  const mapping = soakMapping(runId);
  const runner = new SoakRunner(kafka, mapping);
  const frozen = new Map<number, string>();
  const thawOnExit = () => {
    for (const pid of frozen.keys()) process.kill(pid, 'SIGCONT');
  };
  // Interrupted, the soak leaves nothing frozen and no runner behind (it leads a process group of its own).
  const interrupted = () => {
    thawOnExit();
    void runner.kill();
    process.exit(130);
  };
  process.once('exit', thawOnExit);
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    const job = await ensureSampleJobRunning(endpoints.flinkRestUrl, { jobName });
    say(`run ${runId}: sample job ${job.jobId} ${job.submitted ? 'submitted' : 'already running'}`);
    // A job failing over before its first checkpoint would start again at the latest offsets, past
    // events already produced: no fault comes before it has one (or was restored from one).
    const flink = new FlinkRestClient({ baseUrl: endpoints.flinkRestUrl });
    const checkpointed = await waitUntil(
      'a checkpoint of the sample job',
      async () => {
        const stats = await flink.checkpoints(job.jobId);
        return stats.completed > 0 || stats.restored > 0;
      },
      { timeoutMs: 180_000, intervalMs: 2_000 },
    );
    if (!checkpointed) throw new SoakStackNotReadyError(`job ${job.jobId} completed no checkpoint in 180 s`);
    await runner.start();
    say(`runner consuming ${topics.sink} as group ${runner.groupId}`);
    const [sinkFrom, deadLetterFrom] = await Promise.all([
      kafka.endOffsets(topics.sink),
      kafka.endOffsets(topics.deadLetter),
    ]);
    const traffic = new SoakTraffic(kafka, topics.input, {
      runId,
      seed: options.seed,
      eventsPerSecond: options.eventsPerSecond,
      users: options.users,
      malformedEvery: 10,
    });
    const context: FaultContext = {
      endpoints,
      jobName,
      runner,
      failedBatches: new FailedBatchStore(localAwsClients(endpoints).s3),
      hangMs: Math.max(AWS_REQUEST_TIMEOUTS.requestTimeout, KAFKA_REQUEST_TIMEOUT_MS) + 10_000,
      // Ends once a batch failed through the mapping's retries (a window's aggregates, then both
      // invocations: about 2 minutes); this bound only stops an outage no batch ever meets.
      outageMs: 480_000,
      recoveryTimeoutMs: 300_000,
      frozen,
      say,
    };
    const durationMs = options.minutes * 60_000;
    const plan = planFaults({ seed: options.seed, kinds: options.kinds, durationMs });
    say(
      `${plan.length} faults planned over ${options.minutes} min: ${plan.map((f) => `${clock(f.atMs)} ${f.kind}`).join(', ')}`,
    );

    const startedAt = Date.now();
    traffic.start();
    const outcomes: FaultOutcome[] = [];
    const active = new Set<PlannedFault>();
    const progress = setInterval(() => {
      say(
        `[${clock(Date.now() - startedAt)}] ${traffic.events.length} events produced (${traffic.failedSends} sends retried); ` +
          `faults ${outcomes.length}/${plan.length} done${active.size > 0 ? `, now: ${[...active].map((f) => f.kind).join(', ')}` : ''}`,
      );
    }, 10_000);
    try {
      const byLane = new Map<string, Promise<unknown>>();
      const runs = plan.map((fault) => {
        const lanes = faultLanes(FAULT_SPECS[fault.kind]);
        const run = Promise.all(lanes.map((lane) => byLane.get(lane))).then(async () => {
          await new Promise((resolve) =>
            setTimeout(resolve, Math.max(0, startedAt + fault.atMs - Date.now())),
          );
          active.add(fault);
          say(`[${clock(Date.now() - startedAt)}] inject ${fault.kind}`);
          const outcome = await injectFault(context, fault);
          active.delete(fault);
          outcomes.push(outcome);
          say(
            `[${clock(Date.now() - startedAt)}] ${fault.kind}: ${outcome.recoveryMs === undefined ? 'NOT RECOVERED' : `recovered in ${(outcome.recoveryMs / 1000).toFixed(1)} s`} (${outcome.detail})`,
          );
        });
        for (const lane of lanes) byLane.set(lane, run);
        return run;
      });
      // Traffic flows for the whole duration and until the last fault has recovered.
      await Promise.all([...runs, new Promise((resolve) => setTimeout(resolve, durationMs))]);
      await traffic.stop();
    } finally {
      clearInterval(progress);
    }
    say(
      `traffic stopped: ${traffic.events.length} events and ${traffic.malformedIds.length} malformed events produced`,
    );

    // Batches that failed after the outage's replay (their retries ran out late) are replayed now.
    if ((await context.failedBatches.keysAt(runner.failedBatchPrefix)).length > 0)
      say(`late failed batches: ${await replayFailedBatchesCli(runner.failedBatchUri)}`);

    const times = traffic.events.map((event) => Date.parse(event.occurred_at));
    const lastEvent = times.reduce((a, b) => Math.max(a, b));
    const firstEvent = times.reduce((a, b) => Math.min(a, b));
    const range = {
      from: firstEvent - (firstEvent % windowMs),
      to: lastEvent - (lastEvent % windowMs) + windowMs,
    };
    await closeLastWindow(
      kafka,
      topics.input,
      prefix,
      range.to + platform.sampleJob.watermarkDelaySeconds * 1000 + 1_000,
    );
    say(`closing events sent: the watermark passes ${new Date(range.to).toISOString()} on every partition`);

    const expected = computeAggregates(traffic.events);
    const sink = await waitExact('sink topic', say, 300_000, async () => {
      const rows = sinkAggregates(await readToEnd(kafka, topics.sink, sinkFrom), isRunUser);
      return { result: checkExactness(expected, rows, { upsert: true }), done: true };
    });
    const [descriptor] = parseBatcherDescriptors(sampleBatchersJson).filter(
      (each) => each.topic === topics.sink,
    );
    const storage = createBatcherStorage({
      bucket: platform.storage.dataLakeBucket,
      table: platform.storage.watermarkTable,
      awsEndpointUrl: endpoints.awsEndpointUrl,
      s3EndpointUrl: endpoints.s3EndpointUrl,
    });
    const lake = await waitExact('sealed lake', say, 600_000, async () => {
      const { rows, allSealed } = await lakeAggregates(storage, descriptor!, range, isRunUser);
      return { result: checkExactness(expected, rows, { upsert: false }), done: allSealed };
    });
    const deadLetters = accountDeadLetters(
      traffic.malformedIds,
      deadLetterIds(await readToEnd(kafka, topics.deadLetter, deadLetterFrom)),
    );
    if (!(await pipelineWhole(context))) say('note: the stack is not whole at the end of the soak');
    return { faults: outcomes, sink, lake, deadLetters, events: traffic.events.length };
  } finally {
    thawOnExit();
    process.removeListener('exit', thawOnExit);
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
    await runner.stop().catch(() => undefined);
    await kafka.close().catch(() => undefined);
  }
}

/**
 * Polls an output until it is exact (and `done`: the lake's rows all sealed) or `timeoutMs` passes;
 * returns the last comparison either way, so the report shows what is wrong.
 */
async function waitExact(
  name: string,
  say: (line: string) => void,
  timeoutMs: number,
  check: () => Promise<{ result: Exactness; done: boolean }>,
): Promise<Exactness> {
  const deadline = Date.now() + timeoutMs;
  let lastSaid = 0;
  for (;;) {
    const { result, done } = await check();
    if ((done && isExact(result)) || Date.now() >= deadline) return result;
    if (Date.now() - lastSaid > 10_000) {
      lastSaid = Date.now();
      say(
        `waiting for the ${name}: ${result.exact} of ${result.expected} aggregates exact${done ? '' : ', not all sealed yet'}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  }
}

/**
 * One event per input partition at `at` (waited for), so the watermark passes the run's last
 * window on every partition; its users are the run's closers, left out of the comparison.
 */
async function closeLastWindow(kafka: KafkaClient, topic: string, prefix: string, at: number): Promise<void> {
  while (Date.now() < at)
    await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, at - Date.now())));
  const partitions = (await kafka.observe([topic])).topics[0]?.partitions ?? 0;
  const now = new Date().toISOString();
  const records: OutgoingRecord[] = Array.from({ length: partitions }, (_, partition) => ({
    key: `${prefix}closer-p${partition}`,
    partition,
    value: JSON.stringify({
      event_id: `${prefix}close-p${partition}`,
      user_id: `${prefix}closer-p${partition}`,
      event_type: 'soak_close',
      value: 0,
      occurred_at: now,
    }),
  }));
  await kafka.produce(topic, records);
}
