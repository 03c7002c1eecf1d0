import {
  type AutoscaleObservation,
  autoscaleSettingDefaults,
  evaluateAutoscale,
  observeAutoscale,
} from '@apphub/control-plane';
import { FlinkJobMetricsClient } from '@apphub/flink';
import { generateSampleEvents } from '@apphub/sample';
import { afterAll, describe, expect, it } from 'vitest';
import { produceEvents } from '../../../local/src/sample/produce.js';
import { createTopic, endpoints, kafka, userPartition } from '../helpers.js';
import { cleanUp, eventually, localPlane, SampleScenario } from './harness.js';

/** The job's vertices as Flink's REST API lists them, read without the client under test. */
async function flinkVertices(jobId: string): Promise<{ id: string; parallelism: number }[]> {
  const response = await fetch(`${endpoints.flinkRestUrl}/jobs/${jobId}`);
  return ((await response.json()) as { vertices: { id: string; parallelism: number }[] }).vertices;
}

/**
 * The autoscaler's observation of the sample job on the real stack: a backlog produced before the
 * job starts must show as pending records on its source, with busy time while it is read,
 * and vertices and parallelism as Flink runs them; once it is read, no records are pending.
 */
describe('autoscale observation on the real cluster', () => {
  const plane = localPlane();
  const metrics = new FlinkJobMetricsClient({ baseUrl: endpoints.flinkRestUrl });
  const scenario = new SampleScenario(83);
  const partitions = 3;

  afterAll(async () => {
    await cleanUp(plane, scenario.jobName);
  });

  it('reads busy time, record rates and pending records of a job draining a backlog', async () => {
    // Prepare: a backlog on 3 partitions before the job starts, as large as the job cannot read before
    // its metrics are reported (parallelism 1 reads 200,000-400,000 events a second here; Flink
    // fetches metrics every 10 s, and a job's first report comes 15-30 s after submission).
    await createTopic(scenario.inputTopic, partitions);
    await createTopic(scenario.outputTopic, 1);
    const chunks = 10;
    const perChunk = 1_000_000;
    let produced = 0;
    for (let chunk = 0; chunk < chunks; chunk++) {
      const events = generateSampleEvents({
        count: perChunk,
        users: 60,
        start: new Date(Date.parse('2026-11-29T10:00:00.000Z') + chunk * 60_000),
        spanMs: 60_000,
        seed: 83 + chunk,
        maxOutOfOrderMs: 2_000,
      });
      await produceEvents(kafka, scenario.inputTopic, events, {
        batchSize: 5_000,
        partition: (event) => userPartition(event, partitions),
      });
      produced += events.length;
    }
    const seen: AutoscaleObservation[] = [];

    // Act: the sample job at parallelism 1, observed while it reads the backlog and after.
    const { jobId } = await scenario.submit(plane, { parallelism: 1 });
    const observe = async () => {
      const observation = await observeAutoscale(
        { rest: plane.rest, metrics },
        { jobName: scenario.jobName, jobId, maxTaskManagers: endpoints.taskManagers, now: Date.now },
      );
      seen.push(observation);
      return observation;
    };
    const sourceOf = (observation: AutoscaleObservation) =>
      observation.vertices.find((vertex) => vertex.inputs.length === 0);
    const draining = await eventually(
      'an observation with pending records and busy time on the source',
      async () => {
        const observation = await observe();
        const source = sourceOf(observation);
        return source && (source.pendingRecords ?? 0) > 0 && source.busyTimeMsPerSecond.max > 0
          ? observation
          : undefined;
      },
      180_000,
      2_000,
    );
    const drained = await eventually(
      'an observation with no pending records once the backlog is read',
      async () => {
        const observation = await observe();
        return sourceOf(observation)?.pendingRecords === 0 ? observation : undefined;
      },
      300_000,
      5_000,
    );

    // Assess
    const vertices = await flinkVertices(jobId);
    expect(draining.vertices.map((vertex) => [vertex.id, vertex.parallelism])).toEqual(
      vertices.map((vertex) => [vertex.id, 1]),
    );
    const [source, ...downstream] = draining.vertices;
    expect(source!.inputs).toEqual([]);
    expect(downstream.some((vertex) => vertex.inputs.some((input) => input.shipStrategy === 'HASH'))).toBe(
      true,
    );
    expect(source!.sourcePartitions).toBe(partitions);
    expect(source!.pendingRecords).toBeLessThanOrEqual(produced);
    expect(source!.recordsInPerSecond).toBeGreaterThan(0);
    expect(draining.cluster.slotsTotal).toBeGreaterThan(0);
    expect(draining.cluster.taskManagers).toBeGreaterThan(0);
    for (const vertex of draining.vertices) {
      expect(vertex.maxParallelism).toBeGreaterThanOrEqual(1);
      for (const share of [
        vertex.busyTimeMsPerSecond,
        vertex.backPressuredTimeMsPerSecond,
        vertex.idleTimeMsPerSecond,
      ]) {
        expect(share.max).toBeGreaterThanOrEqual(0);
        expect(share.max).toBeLessThanOrEqual(1_000);
      }
    }
    // Every number the decision needs is there: no vertex lacks its busy time or record rate.
    const evaluation = evaluateAutoscale(draining, undefined, { ...autoscaleSettingDefaults, enabled: true });
    expect(evaluation.problem).toBeUndefined();
    expect(evaluation.inputs.requiredParallelism).toBeGreaterThanOrEqual(1);
    expect(
      drained.vertices.find((vertex) => vertex.inputs.length === 0)!.idleTimeMsPerSecond.max,
    ).toBeGreaterThan(0);
    // The series, for the docs' record of what Flink reports (one line per observation).
    for (const observation of seen) {
      const line = observation.vertices.map(
        (vertex) =>
          `${vertex.name.slice(0, 24)}: busy ${vertex.busyTimeMsPerSecond.max} bp ${vertex.backPressuredTimeMsPerSecond.max} idle ${vertex.idleTimeMsPerSecond.max} in ${Math.round(vertex.recordsInPerSecond)} out ${Math.round(vertex.recordsOutPerSecond)} pending ${vertex.pendingRecords}`,
      );
      console.info(
        `autoscale observation +${observation.observedAt - seen[0]!.observedAt} ms | ${line.join(' | ')}`,
      );
    }
  });
});
