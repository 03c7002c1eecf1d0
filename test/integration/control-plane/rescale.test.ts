import { type RescaleResult, rescaleJob, runReconcile } from '@apphub/control-plane';
import { platform } from '@apphub/platform';
import { afterAll, describe, expect, it } from 'vitest';
import { localTaskManagerScaler } from '../../../local/src/control-plane/local-task-managers.js';
import { consumeRecords } from '../../../local/src/sample/consume.js';
import { endpoints, kafka } from '../helpers.js';
import { cleanUp, eventually, expectExactAggregates, localPlane, SampleScenario } from './harness.js';

/**
 * Flink-aware rescaling on the native stack: stop with a savepoint, start or stop native TaskManagers
 * through the stack module, restore with the new parallelism. Events are held back between the steps,
 * so a window open across each rescale must come out exact (nothing lost, nothing doubled).
 */
describe('rescale on the real cluster', () => {
  const plane = localPlane();
  const scaler = localTaskManagerScaler(endpoints);
  const scenario = new SampleScenario(61);

  afterAll(async () => {
    await cleanUp(plane, scenario.jobName);
    // Back to the stack's own count (a rescale that left more, e.g. while other jobs ran, is undone),
    // which also forgets the count local:up would otherwise keep.
    await scaler.scaleTo(endpoints.taskManagers);
  });

  /** The job's parallelism as Flink runs it (the largest vertex parallelism). */
  async function runningParallelism(jobId: string): Promise<number | undefined> {
    return eventually(`job ${jobId} to run all its tasks`, async () => {
      const job = await plane.rest.job(jobId);
      return job.state === 'RUNNING' && job.allTasksRunning ? job.parallelism : undefined;
    });
  }

  async function rescale(parallelism: number): Promise<RescaleResult> {
    const outcome = await rescaleJob(plane, scaler, { jobName: scenario.jobName, parallelism });
    if (!outcome.ran) throw new Error(`the job's lease was held by ${outcome.holder?.owner}`);
    return outcome.value;
  }

  it('rescales from 2 to a parallelism that needs a third TaskManager and back, with exact aggregates', async () => {
    const phaseB1 = scenario.phaseB.slice(0, 50);
    const phaseB2 = scenario.phaseB.slice(50);
    await scenario.createTopics();
    await scenario.produce(scenario.phaseA);
    const { jobId } = await scenario.submit(plane, { parallelism: 2 });
    await scenario.waitForWindows(scenario.closedByPhaseA());
    expect(await runningParallelism(jobId)).toBe(2);
    const slots = platform.flink.taskSlots;
    // A TaskManager another test stopped stays registered until its heartbeat times out.
    const overview = await eventually(
      "the stack's own TaskManager count",
      async () => {
        const current = await plane.rest.overview();
        return current.taskManagers === endpoints.taskManagers ? current : undefined;
      },
      120_000,
      2_000,
    );
    // One slot more than the stack's TaskManagers have once other jobs' slots are counted.
    const usedByOthers = overview.slotsTotal - overview.slotsAvailable - 2;
    const wide = endpoints.taskManagers * slots - usedByOthers + 1;

    const up = await rescale(wide);

    expect(up.plan).toMatchObject({
      action: 'rescale',
      fromParallelism: 2,
      toParallelism: wide,
      taskManagers: { from: endpoints.taskManagers, to: endpoints.taskManagers + 1 },
    });
    expect((await plane.rest.overview()).taskManagers).toBe(endpoints.taskManagers + 1);
    expect(await runningParallelism(up.jobId)).toBe(wide);
    expect(await plane.jobs.get(scenario.jobName)).toMatchObject({
      jobId: up.jobId,
      parallelism: wide,
      restoreSource: { kind: 'savepoint', path: up.savepoint },
    });
    const stop = (await plane.savepoints.history(scenario.jobName)).find(
      (entry) => entry.location === up.savepoint,
    );
    expect(stop).toMatchObject({ trigger: 'stop', status: 'COMPLETED', jobId });
    // Reconcile keeps the rescaled job as it is.
    const pass = await runReconcile(plane, { jobNames: [scenario.jobName] });
    expect(pass.ran && pass.value[0]?.decision.action).toBe('none');

    await scenario.produce(phaseB1);
    const down = await rescale(2);

    expect(down.plan).toMatchObject({ action: 'rescale', fromParallelism: wide, toParallelism: 2 });
    const expectedTaskManagers = usedByOthers === 0 ? endpoints.taskManagers : endpoints.taskManagers + 1;
    expect(down.plan).toMatchObject({ taskManagers: { to: expectedTaskManagers } });
    expect((await plane.rest.overview()).taskManagers).toBe(expectedTaskManagers);
    expect(await runningParallelism(down.jobId)).toBe(2);
    expect((await plane.jobs.get(scenario.jobName))?.parallelism).toBe(2);

    await scenario.produce([...phaseB2, scenario.closer]);
    await expectExactAggregates(scenario);
    // Every window was emitted once: no replay across the two stop-with-savepoint restores.
    const records = (await consumeRecords(kafka, scenario.outputTopic, { timeoutMs: 5_000 })).filter(
      (record) => record.value !== null,
    );
    const keys = records.map((record) => record.key);
    expect(new Set(keys).size).toBe(keys.length);
    expect((await rescale(2)).action).toBe('unchanged');
  });
});
