import { ControlPlaneJobStateError, checkpointRoot, handleReconcileEvent } from '@apphub/control-plane';
import { afterAll, describe, expect, it } from 'vitest';
import { componentProcess, stackDown, stackUp } from '../../../local/src/stack/index.js';
import { endpoints } from '../helpers.js';
import {
  captureEmf,
  checkpointAfter,
  cleanUp,
  eventually,
  expectExactAggregates,
  localPlane,
  metricTotal,
  SampleScenario,
  scheduledEvent,
} from './harness.js';

/**
 * Runs phase A until its closed windows are out and a checkpoint covers them; returns the job id and
 * the checkpoint path. Phase A leaves one window open, so its state must survive what comes next.
 */
async function runPhaseA(scenario: SampleScenario, plane: ReturnType<typeof localPlane>, parallelism = 1) {
  await scenario.createTopics();
  await scenario.produce(scenario.phaseA);
  const { jobId } = await scenario.submit(plane, { parallelism });
  await scenario.waitForWindows(scenario.closedByPhaseA());
  const checkpoint = await checkpointAfter(plane, jobId, Date.now());
  return { jobId, checkpoint };
}

describe('reconcile and upgrades on the real cluster', () => {
  const plane = localPlane();
  const scenarios: SampleScenario[] = [];

  afterAll(async () => {
    for (const scenario of scenarios) await cleanUp(plane, scenario.jobName);
  });

  it('resubmits a job Flink no longer runs from its latest checkpoint, and the aggregates stay exact', async () => {
    const scenario = new SampleScenario(31);
    scenarios.push(scenario);
    const { jobId } = await runPhaseA(scenario, plane);
    await plane.rest.cancel(jobId);
    await eventually('the job to end', async () =>
      (await plane.rest.job(jobId)).state === 'CANCELED' ? true : undefined,
    );
    const stats = await plane.rest.checkpoints(jobId);
    // The same checkpoint is found in storage, the path used when a restarted JobManager forgot the job.
    const stored = await plane.storage.latestCheckpoint((await checkpointRoot(plane))!, jobId);
    expect(stored?.path).toBe(stats.latestCompleted?.externalPath);

    const emf = captureEmf();
    const [outcome] = await handleReconcileEvent(plane, scheduledEvent([scenario.jobName]));

    expect(outcome?.decision).toMatchObject({
      action: 'resubmit',
      reason: 'job is CANCELED',
      restore: { kind: 'checkpoint', path: stats.latestCompleted?.externalPath },
      attempt: 1,
    });
    expect(outcome?.jobId).not.toBe(jobId);
    expect((await plane.jobs.get(scenario.jobName))?.jobId).toBe(outcome?.jobId);
    expect(metricTotal(emf, scenario.jobName, 'Resubmissions')).toBe(1);
    expect(metricTotal(emf, scenario.jobName, 'JobsNotRunning')).toBe(1);
    // The pass's count of jobs not RUNNING, once in the Service series the alarm and dashboard read.
    plane.metrics.publishStoredMetrics();
    expect(metricTotal(emf, undefined, 'JobsNotRunning')).toBe(1);
    await scenario.produce([...scenario.phaseB, scenario.closer]);
    await expectExactAggregates(scenario);
    expect((await plane.rest.checkpoints(outcome!.jobId!)).restored).toBe(1);
  });

  it('upgrades changed SQL by stop-with-savepoint and restore without losing or doubling a window, and rolls back bad SQL', async () => {
    const scenario = new SampleScenario(41);
    scenarios.push(scenario);
    const { jobId } = await runPhaseA(scenario, plane);

    const upgraded = await scenario.submit(plane, {
      sqlEdit: (sql) =>
        sql.replace(
          'INSERT INTO apphub_streaming_aggregates',
          'INSERT INTO apphub_streaming_aggregates /* v2 */',
        ),
    });

    expect(upgraded.action).toBe('upgraded');
    expect(upgraded.jobId).not.toBe(jobId);
    expect(upgraded.restoreSource).toMatchObject({ kind: 'savepoint' });
    const [stop] = (await plane.savepoints.history(scenario.jobName)).filter(
      (entry) => entry.trigger === 'stop',
    );
    expect(stop).toMatchObject({
      status: 'COMPLETED',
      jobId,
      location: (upgraded.restoreSource as { path: string }).path,
    });
    expect((await plane.rest.job(jobId)).state).toBe('FINISHED');
    const again = await scenario.submit(plane, {
      sqlEdit: (sql) =>
        sql.replace(
          'INSERT INTO apphub_streaming_aggregates',
          'INSERT INTO apphub_streaming_aggregates /* v2 */',
        ),
    });
    expect(again).toMatchObject({ action: 'unchanged', jobId: upgraded.jobId });
    await scenario.produce([...scenario.phaseB, scenario.closer]);
    await expectExactAggregates(scenario);

    // A bad upgrade is rolled back: the previous SQL runs again from the stop savepoint.
    const upgradedRecord = (await plane.jobs.get(scenario.jobName))!;
    const failure = await scenario
      .submit(plane, {
        sqlEdit: (sql) => sql.replace('INSERT INTO apphub_streaming_aggregates', 'INSERT INTO no_such_table'),
      })
      .catch((caught: unknown) => caught);

    expect(failure).toBeInstanceOf(ControlPlaneJobStateError);
    expect((failure as Error).message).toMatch(
      new RegExp(
        `^Upgrade of ${scenario.jobName} failed: .*no_such_table.*; the previous SQL was resubmitted from s3://\\S+/savepoint-`,
      ),
    );
    const rolledBack = (await plane.jobs.get(scenario.jobName))!;
    expect(rolledBack).toMatchObject({
      sqlHash: upgradedRecord.sqlHash,
      deployedSqlHash: upgradedRecord.sqlHash,
    });
    expect(rolledBack.lastError).toMatch(/^upgrade failed: /);
    expect(rolledBack.jobId).not.toBe(upgraded.jobId);
    await eventually('the rolled-back job to run', async () =>
      (await plane.rest.job(rolledBack.jobId!)).state === 'RUNNING' ? true : undefined,
    );
  });

  it('recovers from the loss of a TaskManager running the job, with exact aggregates', async () => {
    // The test kills only a TaskManager it started itself (taskmanager-3), through the stack module.
    const withExtra = { ...endpoints, taskManagers: 3 };
    const extra = ['taskmanager-3'];
    await stackUp({ endpoints: withExtra, only: extra });
    try {
      const scenario = new SampleScenario(51);
      scenarios.push(scenario);
      // One slot more than the other TaskManagers have free forces a task onto the new one, and leaves
      // room on it for the restart even if other tests take a few slots meanwhile.
      const killed = (await componentProcess('taskmanager-3'))!;
      const freeElsewhere = (await plane.rest.taskManagers())
        .filter((tm) => tm.id !== killed.resourceId)
        .reduce((sum, tm) => sum + tm.freeSlots, 0);
      const parallelism = Math.min(8, freeElsewhere + 1);
      const { jobId } = await runPhaseA(scenario, plane, parallelism);
      expect(killed.resourceId).toMatch(/^taskmanager-3-[0-9a-f]{6}$/);
      expect(await taskManagersOf(jobId)).toContain(killed.resourceId);

      process.kill(killed.pid, 'SIGKILL');
      // Flink notices the lost TaskManager (heartbeat timeout) and records the failure before restarting.
      await eventually(
        'Flink to record the task failure',
        async () => ((await failuresOf(jobId)) >= 1 ? true : undefined),
        150_000,
        2_000,
      );
      // supervisord starts it again by itself; the new process registers under a new resource id.
      const restarted = await eventually('supervisord to restart taskmanager-3', async () => {
        const now = await componentProcess('taskmanager-3');
        return now && now.pid !== killed.pid && now.state === 'RUNNING' ? now : undefined;
      });
      await eventually('the restarted TaskManager to register', async () =>
        (await plane.rest.taskManagers()).some((tm) => tm.id === restarted.resourceId) ? true : undefined,
      );
      expect(restarted.resourceId).not.toBe(killed.resourceId);
      await eventually(
        'all tasks to run again',
        async () =>
          (await plane.rest.jobs()).find((job) => job.id === jobId)?.allTasksRunning ? true : undefined,
        180_000,
      );
      await scenario.produce([...scenario.phaseB, scenario.closer]);
      await expectExactAggregates(scenario);
      expect((await plane.rest.checkpoints(jobId)).restored).toBeGreaterThanOrEqual(1);
    } finally {
      await stackDown({ only: extra });
    }
  });
});

/** Entries in a job's exception history: one per failure Flink recovered (or tried to recover) from. */
async function failuresOf(jobId: string): Promise<number> {
  const body = (await (await fetch(`${endpoints.flinkRestUrl}/jobs/${jobId}/exceptions`)).json()) as {
    exceptionHistory?: { entries?: unknown[] };
  };
  return body.exceptionHistory?.entries?.length ?? 0;
}

/** Resource ids of the TaskManagers that run a job's tasks. */
async function taskManagersOf(jobId: string): Promise<string[]> {
  const job = (await (await fetch(`${endpoints.flinkRestUrl}/jobs/${jobId}`)).json()) as {
    vertices: { id: string }[];
  };
  const ids = new Set<string>();
  for (const vertex of job.vertices) {
    const detail = (await (
      await fetch(`${endpoints.flinkRestUrl}/jobs/${jobId}/vertices/${vertex.id}/taskmanagers`)
    ).json()) as {
      taskmanagers: { 'taskmanager-id': string }[];
    };
    for (const tm of detail.taskmanagers) ids.add(tm['taskmanager-id']);
  }
  return [...ids];
}
