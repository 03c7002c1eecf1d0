import { FlinkUnreachableError } from '@apphub/flink';
import { afterAll, describe, expect, it } from 'vitest';
import { componentProcess } from '../../../local/src/stack/index.js';
import {
  checkpointAfter,
  cleanUp,
  eventually,
  expectExactAggregates,
  expectExactSealedOutput,
  localPlane,
  SampleScenario,
} from './harness.js';

/**
 * Kills the shared JobManager with SIGKILL (every job on the cluster is lost: there is no HA).
 * Nothing in the test restarts anything: supervisord starts the JobManager again and the stack's
 * reconciler, told by supervisord, resubmits every managed job from its latest checkpoint. Opt-in
 * with APPHUB_DISRUPTIVE_TESTS=1, because it takes down other people's jobs on a shared stack.
 */
describe.skipIf(process.env.APPHUB_DISRUPTIVE_TESTS !== '1')('JobManager loss on the real cluster', () => {
  const plane = localPlane();
  const scenario = new SampleScenario(61);

  afterAll(() => cleanUp(plane, scenario.jobName));

  it('brings the managed job back by itself from its latest checkpoint; aggregates and sealed output stay exact', async () => {
    await scenario.createTopics();
    await scenario.produce(scenario.phaseA);
    const { jobId } = await scenario.submit(plane);
    await scenario.waitForWindows(scenario.closedByPhaseA());
    const checkpoint = await checkpointAfter(plane, jobId, Date.now());
    const jobManager = (await componentProcess('jobmanager'))!;

    process.kill(jobManager.pid, 'SIGKILL');
    await eventually('the JobManager to be gone', async () =>
      (await plane.rest.overview().catch((error: unknown) => error)) instanceof FlinkUnreachableError
        ? true
        : undefined,
    );
    const record = await eventually(
      'the reconciler to resubmit the job',
      async () => {
        const current = await plane.jobs.get(scenario.jobName);
        return current?.jobId && current.jobId !== jobId ? current : undefined;
      },
      300_000,
      2_000,
    );
    expect((await componentProcess('jobmanager'))?.pid).not.toBe(jobManager.pid);
    expect(record.restoreSource.kind).toBe('checkpoint');
    const restoredFrom = (record.restoreSource as { path: string }).path;
    // Found in storage (the restarted JobManager forgot the job), on s3://, at least as new as the one observed.
    expect(restoredFrom).toMatch(new RegExp(`^s3://.+/${jobId}/chk-\\d+$`));
    expect(Number(/chk-(\d+)$/.exec(restoredFrom)?.[1])).toBeGreaterThanOrEqual(
      Number(/chk-(\d+)$/.exec(checkpoint)?.[1]),
    );
    await eventually('the resubmitted job to run', async () =>
      (await plane.rest.job(record.jobId!)).state === 'RUNNING' ? true : undefined,
    );
    // Held back until now: the later windows' events, sent after the kill, reach only the new job.
    await scenario.produce([...scenario.phaseB, scenario.closer]);
    await expectExactAggregates(scenario);
    await expectExactSealedOutput(scenario);
  });
});
