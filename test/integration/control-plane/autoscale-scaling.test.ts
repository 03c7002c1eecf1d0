import type { AutoscaleDecisionRecord } from '@apphub/control-plane';
import { computeAggregates, generateSampleEvents, type SampleAggregate } from '@apphub/sample';
import { afterAll, describe, expect, it } from 'vitest';
import { produceEvents } from '../../../local/src/sample/produce.js';
import { quickAutoscaleSettings } from '../../../local/src/sample/submit.js';
import { closerEvent, createTopic, kafka, userPartition } from '../helpers.js';
import { cleanUp, eventually, localPlane, SampleScenario } from './harness.js';

/** The local stack's quick settings: seconds where the defaults wait minutes. */
const autoscale = quickAutoscaleSettings;

const partitions = 4;
// 16,000,000 events, 40-80 s at parallelism 1 (200,000-400,000 a second measured here): the first
// observation with busy time may show no record rate yet, and the next, 15 s later, must still see
// the backlog fall to act on it.
const minutes = 32;
const perMinute = 500_000;

/** Wall-clock arrival times of the sink topic's records, read by a follower of its own. */
async function watchArrivals(topic: string): Promise<{ times: number[]; stop: () => Promise<void> }> {
  const times: number[] = [];
  const stop = await kafka.follow(topic, () => {
    times.push(Date.now());
  });
  return { times, stop };
}

/**
 * The autoscaler on the real stack, run by the stack's own reconciler: a backlog makes the sample job
 * scale up without any command, it drains, and after the scale-down delay the job scales back down;
 * the sink holds exactly the aggregates computed without Flink, and there are no more rescales than
 * the limit.
 */
describe('autoscaling on the local stack', () => {
  const plane = localPlane();
  const scenario = new SampleScenario(91);

  afterAll(async () => {
    await cleanUp(plane, scenario.jobName);
  });

  it('scales the sample job up for a backlog and back down once it is read, with exact aggregates', async () => {
    // Prepare: a backlog of 32 minutes of event time on 4 partitions, each ending in an event far
    // past the data, so every window closes once the job has read everything.
    await createTopic(scenario.inputTopic, partitions);
    await createTopic(scenario.outputTopic, 1);
    const expected: SampleAggregate[] = [];
    const producedStarted = Date.now();
    for (let minute = 0; minute < minutes; minute++) {
      const events = generateSampleEvents({
        count: perMinute,
        users: 50,
        start: new Date(Date.parse('2026-11-29T10:00:00.000Z') + minute * 60_000),
        spanMs: 60_000,
        seed: 91 + minute,
        maxOutOfOrderMs: 2_000,
      });
      // Each chunk covers its own minute, so its windows are its own.
      expected.push(...computeAggregates(events));
      await produceEvents(kafka, scenario.inputTopic, events, {
        batchSize: 5_000,
        partition: (event) => userPartition(event, partitions),
      });
    }
    for (let partition = 0; partition < partitions; partition++) {
      await produceEvents(
        kafka,
        scenario.inputTopic,
        [closerEvent('2026-11-29T11:00:00.000Z', `closer-${partition}`)],
        { partition: () => partition },
      );
    }
    console.info(
      `autoscale test: ${minutes * perMinute} events produced in ${Date.now() - producedStarted} ms`,
    );
    const arrivals = await watchArrivals(scenario.outputTopic);

    try {
      // Act: submit at parallelism 1 with the job's switch on; the reconciler does the rest.
      const submittedAt = Date.now();
      const { jobId: firstJobId } = await scenario.submit(plane, { parallelism: 1, autoscale });
      const decisions = () => plane.autoscaleDecisions!.since(scenario.jobName, submittedAt);
      const rescales = async () => (await decisions()).filter((record) => record.action !== 'none');
      const scaleUp = await eventually(
        'a scale-up decision',
        async () => (await rescales()).find((record) => record.action === 'scale-up'),
        240_000,
        3_000,
      );
      const scaledJob = await eventually(
        'the job running at the new parallelism',
        async () => {
          const record = await plane.jobs.get(scenario.jobName);
          if (!record?.jobId || record.jobId === firstJobId) return undefined;
          const job = await plane.rest.job(record.jobId);
          return job.state === 'RUNNING' && job.parallelism === scaleUp.parallelism ? job : undefined;
        },
        240_000,
        2_000,
      );
      const table = await scenario.waitForWindows(expected.length, 300_000);
      const drainedAt = Date.now();
      // The scale-down takes the highest requirement of its delay, so a job still reading the backlog's
      // tail may step down in more than one rescale.
      const scaleDown = await eventually(
        'a scale-down decision after the backlog is read',
        async () => (await rescales()).find((record) => record.action === 'scale-down'),
        240_000,
        3_000,
      );
      const finalJob = await eventually(
        'the job back at parallelism 1',
        async () => {
          const record = await plane.jobs.get(scenario.jobName);
          if (!record?.jobId || record.jobId === scaledJob.id) return undefined;
          const job = await plane.rest.job(record.jobId);
          return job.state === 'RUNNING' && job.parallelism === 1 ? job : undefined;
        },
        300_000,
        2_000,
      );

      // Assess: the aggregates are exact, the rescales within the limit, each as decided.
      const byKey = new Map(
        expected.map((aggregate) => [`${aggregate.window_start}|${aggregate.user_id}`, aggregate]),
      );
      expect([...table.keys()].sort()).toEqual([...byKey.keys()].sort());
      for (const [key, aggregate] of byKey) expect(table.get(key), key).toEqual(aggregate);
      const all = (await rescales()).reverse();
      expect(all.length).toBeLessThanOrEqual(autoscale.maxRescalesPerHour);
      expect(all[0]).toEqual(scaleUp);
      expect(all.slice(1).map((record) => record.action)).toEqual(all.slice(1).map(() => 'scale-down'));
      expect(all.at(-1)!.parallelism).toBe(1);
      expect(scaleUp.parallelism).toBeGreaterThan(1);
      expect(scaleUp.parallelism).toBeLessThanOrEqual(autoscale.maxParallelism);
      expect(scaleUp.inputs.pendingRecords).toBeGreaterThan(0);
      expect(scaleDown.parallelism).toBeLessThan(scaleUp.parallelism);
      // Every observation of the delay asked for less before the scale-down.
      expect(Date.parse(scaleDown.decidedAt) - Date.parse(scaleUp.decidedAt)).toBeGreaterThanOrEqual(
        autoscale.scaleDownDelaySeconds * 1000,
      );
      expect(finalJob.parallelism).toBe(1);

      // The output gap of the savepoint rescale: the sink's last record before the new job started
      // and its first one after.
      const restartedAt = scaledJob.startTime;
      const before = arrivals.times.filter((time) => time < restartedAt).at(-1);
      const after = arrivals.times.find((time) => time >= restartedAt);
      console.info(
        `autoscale test: scale-up to ${scaleUp.parallelism} decided ${Date.parse(scaleUp.decidedAt) - submittedAt} ms after submit; ` +
          `output gap of the rescale ${before && after ? after - before : 'n/a'} ms ` +
          `(decision to new job start ${restartedAt - Date.parse(scaleUp.decidedAt)} ms); ` +
          `backlog read ${drainedAt - submittedAt} ms after submit; scale-down decided ${Date.parse(scaleDown.decidedAt) - drainedAt} ms after it; ` +
          `${(await decisions()).length} decisions recorded`,
      );
    } finally {
      await arrivals.stop();
      // Every decision with its numbers, also when a wait above timed out.
      const history = await plane.autoscaleDecisions!.since(scenario.jobName, producedStarted);
      for (const record of [...history].reverse()) console.info(`autoscale decision ${decisionLine(record)}`);
    }
  }, 900_000);
});

/** One decision as the test log shows it, with each vertex's numbers behind it. */
function decisionLine(record: AutoscaleDecisionRecord): string {
  const round = (value: number | undefined, digits = 0) =>
    value === undefined ? '-' : value.toFixed(digits);
  const vertices = record.inputs.vertices.map(
    (vertex) =>
      `${vertex.source ? 'source' : vertex.keyed ? 'keyed' : 'vertex'} p${vertex.parallelism} ` +
      `busy ${round(vertex.busyRatio, 2)} bp ${round(vertex.backPressuredRatio, 2)} in ${round(vertex.recordsInPerSecond)}/s ` +
      `pending ${round(vertex.pendingRecords)} true ${round(vertex.trueRatePerSubtask)}/s target ${round(vertex.targetRatePerSecond)}/s ` +
      `asks ${vertex.requiredParallelism ?? '-'}`,
  );
  return (
    `${record.decidedAt} ${record.action} ${record.inputs.currentParallelism}->${record.parallelism} ` +
    `pending ${record.inputs.pendingRecords} [${record.reasons.map((reason) => reason.code).join(',')}] ` +
    `{ ${vertices.join(' | ')} }`
  );
}
