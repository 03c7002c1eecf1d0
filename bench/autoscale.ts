import { randomUUID } from 'node:crypto';
import { type ControlPlane, jobLease, withLease } from '@apphub/control-plane';
import type { KafkaClient } from '@apphub/kafka-client';
import { localControlPlane } from '../local/src/control-plane/local-plane.js';
import { quickAutoscaleSettings, submitSampleJob } from '../local/src/sample/submit.js';
import { drainTopics, seedSampleBacklog } from './sample-job.js';

/** One way of running the sample job over the backlog. */
interface Variant {
  readonly name: string;
  readonly parallelism: number;
  readonly autoscale: boolean;
}

/** One drain of the backlog by one variant. */
export interface AutoscaleDrain {
  readonly name: string;
  /** From submission until the backlog's last window is on the sink topic. */
  readonly seconds: number;
  /** Rescales the autoscaler decided during the drain (0 for a fixed parallelism). */
  readonly rescales: number;
  /** The parallelisms the job ran at, in order. */
  readonly parallelisms: readonly number[];
}

const max = quickAutoscaleSettings.maxParallelism;

const variants: readonly Variant[] = [
  { name: 'fixed parallelism 1', parallelism: 1, autoscale: false },
  { name: `fixed parallelism ${max}`, parallelism: max, autoscale: false },
  { name: `autoscaling from 1 (up to ${max})`, parallelism: 1, autoscale: true },
];

/**
 * Drains the backlog of `inputTopic` once with the managed sample job: submitted through the control
 * plane at the variant's parallelism, with the job's autoscaler switched on or not (the stack's
 * reconciler runs the autoscale pass). Timed until the last data window is on a fresh sink topic;
 * the job, its record and decisions' savepoints are removed afterwards.
 */
async function drain(
  kafka: KafkaClient,
  plane: ControlPlane,
  variant: Variant,
  inputTopic: string,
  lastWindowStart: string,
): Promise<AutoscaleDrain> {
  const suffix = randomUUID().slice(0, 8);
  const jobName = `bench-autoscale-${suffix}`;
  const outputTopic = `${jobName}-out`;
  const deadLetterTopic = `${jobName}-dlq`;
  const sink = await drainTopics(kafka, { outputTopic, deadLetterTopic }, lastWindowStart);
  const started = Date.now();
  try {
    await submitSampleJob({
      plane,
      jobName,
      inputTopic,
      outputTopic,
      deadLetterTopic,
      groupId: jobName,
      startupMode: 'earliest-offset',
      sessionProperties: { 'parallelism.default': String(variant.parallelism) },
      autoscale: variant.autoscale ? quickAutoscaleSettings : undefined,
    });
    await sink.lastWindow(variant.name);
    const seconds = (Date.now() - started) / 1000;
    const decisions = (await plane.autoscaleDecisions?.since(jobName, started)) ?? [];
    const rescales = decisions.filter((record) => record.action !== 'none').reverse();
    return {
      name: variant.name,
      seconds,
      rescales: rescales.length,
      parallelisms: [variant.parallelism, ...rescales.map((record) => record.parallelism)],
    };
  } finally {
    await sink.stop();
    await removeJob(plane, jobName);
  }
}

/**
 * Cancels the job and removes its record, savepoint history and savepoint data, under the job's
 * lease: a rescale the reconciler is running finishes first, so it cannot record the job again.
 */
async function removeJob(plane: ControlPlane, jobName: string): Promise<void> {
  const removed = await withLease(plane, jobLease(jobName), { waitUntil: Date.now() + 10 * 60_000 }, () =>
    removeHeld(plane, jobName),
  );
  if (!removed.ran) throw new Error(`${jobName}: still held by ${removed.holder?.owner} after 10 minutes`);
}

async function removeHeld(plane: ControlPlane, jobName: string): Promise<void> {
  // The record goes first, so the reconciler's autoscale pass no longer sees the job.
  await plane.jobs.delete(jobName);
  for (const job of (await plane.rest.jobs()).filter((candidate) => candidate.name === jobName)) {
    await plane.rest.cancel(job.id).catch(() => undefined);
  }
  const root = plane.config.savepointDir;
  for (const entry of await plane.savepoints.history(jobName)) {
    await plane.savepoints.delete(jobName, entry.savepointId);
  }
  await plane.storage.deleteSnapshot(`${root}/${jobName}`, root).catch(() => undefined);
}

/**
 * Seeds one backlog of `events` sample events and drains it once with each variant in turn, on the
 * same machine in one run: fixed parallelism 1, fixed at the autoscaler's maximum, and autoscaling
 * from 1 with the local stack's quick settings. Prints the table and returns the summary's numbers.
 */
export async function reportAutoscale(
  kafka: KafkaClient,
  events: number,
  progress: (line: string) => void = (line) => console.error(line),
): Promise<{ result: string; pass: boolean; detail: string }> {
  const plane = localControlPlane();
  const inputTopic = `bench-autoscale-in-${randomUUID().slice(0, 8)}`;
  progress(`seeding ${inputTopic} with ${events} sample events on 4 partitions...`);
  const lastWindowStart = await seedSampleBacklog(kafka, inputTopic, events, progress);
  const drains: AutoscaleDrain[] = [];
  for (const variant of variants) {
    progress(`draining the backlog: ${variant.name}...`);
    const result = await drain(kafka, plane, variant, inputTopic, lastWindowStart);
    progress(`  ${result.seconds.toFixed(1)} s, parallelism ${result.parallelisms.join(' -> ')}`);
    drains.push(result);
  }
  console.log(
    `\nAutoscaling on a backlog of ${events} events (${inputTopic}, one drain each, in this order)\n`,
  );
  console.log('| job | drain s (incl. submit) | events/s | parallelism | rescales |');
  console.log('| --- | ---: | ---: | --- | ---: |');
  for (const row of drains) {
    console.log(
      `| ${row.name} | ${row.seconds.toFixed(1)} | ${Math.round(events / row.seconds)} | ${row.parallelisms.join(' → ')} | ${row.rescales} |`,
    );
  }
  const [one, fixedMax, autoscaled] = drains as [AutoscaleDrain, AutoscaleDrain, AutoscaleDrain];
  return {
    result: `${autoscaled.seconds.toFixed(1)} s vs ${one.seconds.toFixed(1)} s (1) and ${fixedMax.seconds.toFixed(1)} s (${max})`,
    // It must scale up for the backlog and stay within the rescale limit; faster than 1 is measured, not promised.
    pass: autoscaled.rescales >= 1 && autoscaled.rescales <= quickAutoscaleSettings.maxRescalesPerHour,
    detail: `${events} events, one drain each; autoscaled ${autoscaled.parallelisms.join(' -> ')}, ${autoscaled.rescales} rescales`,
  };
}
