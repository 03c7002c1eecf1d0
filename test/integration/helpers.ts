import type { KafkaClient } from '@apphub/kafka-client';
import { platform } from '@apphub/platform';
import { computeAggregates, type SampleEvent } from '@apphub/sample';
import { afterAll } from 'vitest';
import { localControlPlane } from '../../local/src/control-plane/local-plane.js';
import { consumeRecords } from '../../local/src/sample/consume.js';
import { type ProduceOptions, produceEvents } from '../../local/src/sample/produce.js';
import { jobTasksRunning } from '../../local/src/sample/submit.js';
import { componentProcess, localKafka, localKafkaSecurity } from '../../local/src/stack/index.js';
import { endpoints, eventually } from '../storage/helpers.js';

// The storage project's helpers; here the environment names the local stack's endpoints.
export { aws, endpoints, eventually, uniqueName } from '../storage/helpers.js';

/** The plaintext listener, for tools' work in tests: creating topics, producing input, reading output. */
export const kafka: KafkaClient = localKafka(endpoints, 'apphub-tests');
/** The TLS listener with the local CA, as the pipeline (Flink, the micro-batcher) reaches Kafka. */
export const tlsKafka: KafkaClient = localKafka(endpoints, 'apphub-tests-tls', localKafkaSecurity());

/** Creates a topic with `partitions` partitions for one test; returns once every partition's leader answers. */
export async function createTopic(name: string, partitions = 3): Promise<void> {
  await kafka.createTopics([{ name, partitions, replicationFactor: 1, config: {} }]);
}

/** An event of user `u-closer` far past the data: it moves the watermark beyond the last window. */
export function closerEvent(occurredAt: string, id = 'closer'): SampleEvent {
  return { event_id: id, user_id: 'u-closer', event_type: 'tick', value: 0, occurred_at: occurredAt };
}

/** A sample user's partition from the digits of its id (u-007 on 3 partitions: 1). */
export function userPartition(event: SampleEvent, partitions = 3): number {
  return Number(event.user_id.replace(/\D/g, '') || '0') % partitions;
}

/**
 * Produces events to a running job as live traffic arrives: once the job's tasks run (a replayed
 * backlog can make a busy partition look idle to Flink's processing-time idleness detection), a
 * minute of event time at a time, so every partition is awake before the watermark passes it.
 */
export async function sendLive(
  jobId: string,
  topic: string,
  events: readonly SampleEvent[],
  options: ProduceOptions = {},
): Promise<void> {
  await eventually(
    "the job's tasks to run",
    async () => ((await jobTasksRunning(endpoints.flinkRestUrl, jobId)) ? true : undefined),
    90_000,
  );
  await produceEvents(kafka, topic, events, { pauseBetweenMinutesMs: 1_000, ...options });
}

/**
 * A list for the jobs a test file starts through the control plane (submit:sample does); when the
 * file's tests end each one's desired state is removed first, so no reconcile brings it back (a later
 * JobManager restart would otherwise resubmit every leftover job), then its Flink job is cancelled.
 */
export function jobsRemovedAfterAll(): { jobId: string; jobName: string }[] {
  const jobs: { jobId: string; jobName: string }[] = [];
  afterAll(async () => {
    const plane = localControlPlane();
    for (const { jobId, jobName } of jobs) {
      await plane.jobs.delete(jobName).catch(() => undefined);
      await plane.rest.cancel(jobId).catch(() => undefined);
    }
  });
  return jobs;
}

/**
 * Waits until the sample job has closed every window of `events` that their own event time can close
 * (window end at or before the latest event minus the watermark delay) and written it to `outputTopic`.
 * With some of the input's partitions quiet, those windows close only once Flink has marked the quiet
 * partitions idle: this waits for that outcome instead of sleeping for the idle timeout.
 */
export async function windowsClosedByIdleness(
  outputTopic: string,
  events: readonly SampleEvent[],
  timeoutMs = 180_000,
): Promise<void> {
  const latest = Math.max(...events.map((event) => Date.parse(event.occurred_at)));
  const closedBy = latest - platform.sampleJob.watermarkDelaySeconds * 1000;
  const wanted = computeAggregates(events)
    .filter((aggregate) => Date.parse(aggregate.window_end) <= closedBy)
    .map((aggregate) => `${aggregate.user_id}@${aggregate.window_start}`);
  if (wanted.length === 0) throw new Error('no window of these events can close through idleness');
  await eventually(
    `the ${wanted.length} windows the data closes once quiet partitions are idle`,
    async () => {
      const seen = new Set(
        (await consumeRecords(kafka, outputTopic, { timeoutMs: 5_000 }))
          .filter((record) => record.key !== null)
          .map((record) => {
            const key = JSON.parse(record.key!) as { user_id: string; window_start: string };
            return `${key.user_id}@${key.window_start}`;
          }),
      );
      const missing = wanted.filter((key) => !seen.has(key));
      if (missing.length > 0) throw new Error(`${missing.length} still open, e.g. ${missing[0]}`);
      return true;
    },
    timeoutMs,
    2_000,
  );
}

/** Waits until supervisord runs `name` again under a new pid, and returns that process. */
export function restartedBySupervisor(name: string, killedPid: number) {
  return eventually(
    `supervisord to restart ${name}`,
    async () => {
      const now = await componentProcess(name);
      return now && now.pid !== killedPid && now.state === 'RUNNING' ? now : undefined;
    },
    120_000,
    500,
  );
}
