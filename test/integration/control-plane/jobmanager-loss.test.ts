import { handleReconcileEvent } from '@apphub/control-plane';
import { FlinkUnreachableError } from '@apphub/flink';
import { afterAll, describe, expect, it } from 'vitest';
import { readProcessTable, stackPaths, stackUp } from '../../../local/src/stack/index.js';
import {
  checkpointAfter,
  cleanUp,
  eventually,
  expectExactAggregates,
  expectExactSealedOutput,
  localPlane,
  SampleScenario,
  scheduledEvent,
} from './harness.js';

/**
 * Kills the shared JobManager (every job on the cluster is lost: there is no HA) and restarts it
 * through the stack module. Opt-in with APPHUB_DISRUPTIVE_TESTS=1, because it ends a process the
 * test did not start and takes down other people's jobs on a shared stack.
 */
describe.skipIf(process.env.APPHUB_DISRUPTIVE_TESTS !== '1')('JobManager loss on the real cluster', () => {
  const plane = localPlane();
  const scenario = new SampleScenario(61);

  afterAll(() => cleanUp(plane, scenario.jobName));

  it('reconcile resubmits the lost job from its latest checkpoint; aggregates and sealed micro-batched output stay exact', async () => {
    await scenario.createTopics();
    await scenario.produce(scenario.phaseA);
    const { jobId } = await scenario.submit(plane);
    await scenario.waitForWindows(scenario.closedByPhaseA());
    const checkpoint = await checkpointAfter(plane, jobId, Date.now());
    const taskManagers = (await plane.rest.overview()).taskManagers;

    process.kill(readProcessTable(stackPaths()).jobmanager!.pid, 'SIGKILL');
    await eventually('the JobManager to be gone', async () =>
      (await plane.rest.overview().catch((error: unknown) => error)) instanceof FlinkUnreachableError
        ? true
        : undefined,
    );
    await stackUp({ only: ['jobmanager'] });
    await eventually(
      'the TaskManagers to register again',
      async () => ((await plane.rest.overview()).taskManagers >= taskManagers ? true : undefined),
      180_000,
    );
    await expect(plane.rest.job(jobId)).rejects.toThrow(/Could not find Flink job/);

    const [outcome] = await handleReconcileEvent(plane, scheduledEvent([scenario.jobName]));

    expect(outcome?.decision).toMatchObject({ action: 'resubmit', reason: 'job is not known to Flink' });
    const { restore } = outcome!.decision as { restore: { kind: string; path: string } };
    expect(restore.kind).toBe('checkpoint');
    // Found in storage (the restarted JobManager forgot the job); at least as new as the one observed.
    expect(restore.path).toMatch(new RegExp(`/${jobId}/chk-\\d+$`));
    expect(Number(/chk-(\d+)$/.exec(restore.path)?.[1])).toBeGreaterThanOrEqual(
      Number(/chk-(\d+)$/.exec(checkpoint)?.[1]),
    );
    await scenario.produce([...scenario.phaseB, scenario.closer]);
    await expectExactAggregates(scenario);
    await expectExactSealedOutput(scenario);
  });
});
