import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { programStates, stackDown, stackPaths, stackUp } from '../../../local/src/stack/index.js';
import {
  checkpointAfter,
  cleanUp,
  eventually,
  expectExactAggregates,
  localPlane,
  SampleScenario,
} from '../control-plane/harness.js';

/** True while `pid` runs (an exited child nobody reaped yet is a zombie, state Z: not running). */
function running(pid: number): boolean {
  try {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    return state !== undefined && !['Z', 'X'].includes(state);
  } catch {
    return false;
  }
}

/**
 * The whole stack down and up again, as a developer does it. Opt-in with APPHUB_DISRUPTIVE_TESTS=1:
 * it stops everything, other people's jobs included.
 */
describe.skipIf(process.env.APPHUB_DISRUPTIVE_TESTS !== '1')('local:down and local:up', () => {
  const plane = localPlane();
  const scenario = new SampleScenario(81);
  const paths = stackPaths();
  let bystander: ChildProcess | undefined;

  afterAll(async () => {
    bystander?.kill('SIGKILL');
    await cleanUp(plane, scenario.jobName);
  });

  it('leaves no process, never signals a pid it merely read, and brings managed jobs back by themselves', async () => {
    await scenario.createTopics();
    await scenario.produce(scenario.phaseA);
    const { jobId } = await scenario.submit(plane);
    await scenario.waitForWindows(scenario.closedByPhaseA());
    const checkpoint = await checkpointAfter(plane, jobId, Date.now());
    const supervised = [...(await programStates(paths)).values()].flatMap((p) => (p.pid ? [p.pid] : []));
    expect(supervised.length).toBeGreaterThanOrEqual(8);

    // An unrelated process whose pid supervisord's own pid file names: it may not be signalled.
    bystander = spawn('sleep', ['600'], { stdio: 'ignore' });
    const pid = bystander.pid!;
    writeFileSync(path.join(paths.supervisor, 'supervisord.pid'), `${pid}\n`);

    await stackDown({ progress: { step: () => {}, detail: () => {} } });

    expect(supervised.filter(running)).toEqual([]);
    expect(running(pid)).toBe(true);
    expect((await programStates(paths)).size).toBe(0);
    expect(existsSync(paths.supervisorSocket)).toBe(false);

    const status = await stackUp({ progress: { step: () => {}, detail: () => {} } });
    expect(status.healthy).toBe(true);
    expect(running(pid)).toBe(true);

    // No command: the reconciler, told by supervisord that the JobManager runs, resubmits the job.
    const back = await eventually(
      'the managed job to be resubmitted',
      async () => {
        const current = await plane.jobs.get(scenario.jobName);
        return current?.jobId && current.jobId !== jobId ? current : undefined;
      },
      300_000,
      2_000,
    );
    expect(back.restoreSource).toMatchObject({ kind: 'checkpoint' });
    const restoredFrom = (back.restoreSource as { path: string }).path;
    expect(Number(/chk-(\d+)$/.exec(restoredFrom)?.[1])).toBeGreaterThanOrEqual(
      Number(/chk-(\d+)$/.exec(checkpoint)?.[1]),
    );
    await eventually('the job to run again', async () =>
      (await plane.rest.job(back.jobId!)).state === 'RUNNING' ? true : undefined,
    );
    await scenario.produce([...scenario.phaseB, scenario.closer]);
    await expectExactAggregates(scenario);
  });
});
