import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseControlPlaneConfig, type ReconcileOutcome } from '@apphub/control-plane';
import { afterAll, describe, expect, it } from 'vitest';
import { createHandler } from '../../../functions/reconcile/create-handler.js';
import { lambdaContext } from '../../../local/src/batcher/local-handler.js';
import { repoRoot } from '../../../local/src/stack/index.js';
import {
  cleanUp,
  controlPlaneEnv,
  eventually,
  hasMetadata,
  localPlane,
  SampleScenario,
  scheduledEvent,
} from './harness.js';

const exec = promisify(execFile);

function flinkCli(args: readonly string[]): Promise<string> {
  return exec(
    path.join(repoRoot, 'node_modules/.bin/tsx'),
    [path.join(repoRoot, 'local/src/cli/flink.ts'), ...args],
    {
      cwd: repoRoot,
    },
  ).then((result) => result.stdout);
}

describe('npm run flink and the reconcile Lambda handler on the real cluster', () => {
  const plane = localPlane();
  const scenario = new SampleScenario(71);

  afterAll(() => cleanUp(plane, scenario.jobName));

  it('submits, takes a savepoint, stops with a savepoint and restores from it; reconcile leaves a stopped job alone and resubmits a lost one', async () => {
    await scenario.createTopics();
    await scenario.produce(scenario.phaseA);
    const submitOut = await flinkCli([
      'submit',
      scenario.jobName,
      '--vars',
      `INPUT_TOPIC=${scenario.inputTopic},OUTPUT_TOPIC=${scenario.outputTopic},GROUP_ID=${scenario.groupId}`,
    ]);
    const jobId = /^submitted \S+: job (\w+) \(restore: none\)$/m.exec(submitOut)?.[1];
    expect(jobId, submitOut).toMatch(/^[0-9a-f]{32}$/);
    await eventually('all tasks to run', async () =>
      (await plane.rest.jobs()).find((job) => job.id === jobId)?.allTasksRunning ? true : undefined,
    );

    const savepointOut = await flinkCli(['savepoint', scenario.jobName]);
    const manual = /completed: (\S+)/.exec(savepointOut)?.[1];
    expect(manual && (await hasMetadata(manual))).toBe(true);

    const stopOut = await flinkCli(['stop', scenario.jobName]);
    const stopped = /with savepoint (\S+)/.exec(stopOut)?.[1];
    expect(stopped && (await hasMetadata(stopped))).toBe(true);
    expect((await plane.rest.job(jobId!)).state).toBe('FINISHED');
    expect((await plane.jobs.get(scenario.jobName))?.desiredState).toBe('stopped');
    const history = await plane.savepoints.history(scenario.jobName);
    expect(history.map((entry) => [entry.trigger, entry.status]).sort()).toEqual([
      ['manual', 'COMPLETED'],
      ['stop', 'COMPLETED'],
    ]);

    // The reconcile function's handler, wired by middy as in Lambda, with the functions' configuration.
    const handler = createHandler(parseControlPlaneConfig(controlPlaneEnv()));
    const outcomes: ReconcileOutcome[] = await handler(
      scheduledEvent([scenario.jobName]),
      lambdaContext('it-reconcile', { functionName: 'reconcile', timeoutMs: 10 * 60_000 }),
    );
    expect(outcomes).toEqual([
      {
        jobName: scenario.jobName,
        decision: { action: 'none', reason: 'stopped on purpose' },
        jobId: undefined,
      },
    ]);

    const restoreOut = await flinkCli(['restore', scenario.jobName, '--from', stopped!]);
    const restoredId = /as job (\w+)/.exec(restoreOut)?.[1];
    expect(restoredId).toMatch(/^[0-9a-f]{32}$/);
    const record = await plane.jobs.get(scenario.jobName);
    expect(record).toMatchObject({
      jobId: restoredId,
      desiredState: 'running',
      restoreSource: { kind: 'savepoint', path: stopped },
    });
    await eventually('the restored job to run', async () =>
      (await plane.rest.job(restoredId!)).state === 'RUNNING' ? true : undefined,
    );

    // `npm run flink -- reconcile` is the schedule's pass, run once: a running job is left alone ...
    const row = (out: string) => out.split('\n').find((line) => line.startsWith(`${scenario.jobName} `));
    expect(row(await flinkCli(['reconcile', scenario.jobName]))).toMatch(
      new RegExp(`^\\S+\\s+none\\s+${restoredId}\\s+job is RUNNING$`),
    );
    // ... and a job Flink no longer runs is resubmitted from its newest checkpoint or savepoint.
    await plane.rest.cancel(restoredId!);
    await eventually('the cancelled job to end', async () =>
      (await plane.rest.job(restoredId!)).state === 'CANCELED' ? true : undefined,
    );
    const resubmitted =
      /^\S+\s+resubmit\s+([0-9a-f]{32})\s+job is CANCELED; restore: (?:checkpoint|savepoint) \S+$/.exec(
        row(await flinkCli(['reconcile', scenario.jobName])) ?? '',
      )?.[1];
    expect(resubmitted).toBeDefined();
    expect(resubmitted).not.toBe(restoredId);
    expect((await plane.jobs.get(scenario.jobName))?.jobId).toBe(resubmitted);
    await eventually('the resubmitted job to run', async () =>
      (await plane.rest.job(resubmitted!)).state === 'RUNNING' ? true : undefined,
    );
    await expect(flinkCli(['reconcile', 'no-such-job'])).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/not managed by the control plane: no-such-job/),
    });

    const status = await flinkCli(['status']);
    expect(status).toMatch(new RegExp(`${scenario.jobName}\\s+RUNNING\\s+${resubmitted}`));
    expect(status).toMatch(/TASKMANAGER\s+SLOTS/);
  });
});
