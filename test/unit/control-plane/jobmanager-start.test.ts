import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import {
  ControlPlaneEventInvalidError,
  ControlPlaneJobManagerNotReadyError,
  createControlPlane,
  parseControlPlaneConfig,
  parseReconcileEvent,
  reconcileAfterJobManagerStart,
  reconcileReserveMs,
  waitForJobManager,
} from '@apphub/control-plane';
import { createLogger } from '@apphub/observability';
import { afterEach, describe, expect, it } from 'vitest';

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../../fixtures/eventbridge/${name}`, import.meta.url), 'utf8'));
}

describe('parseReconcileEvent', () => {
  it('reads the JobManager task reaching RUNNING from a real ECS task state change event', () => {
    expect(parseReconcileEvent(fixture('ecs-task-running.json'))).toEqual({
      kind: 'jobmanager-started',
      taskArn:
        'arn:aws:ecs:eu-west-1:123456789012:task/AppHubStreamingFlink-Cluster/5e1f0c2a9b7d4e3f8a6c1b2d3e4f5a6b',
      running: true,
    });
  });

  it('tells a stopping task apart, so a mis-matched rule cannot trigger a wait', () => {
    expect(parseReconcileEvent(fixture('ecs-task-stopped.json'))).toMatchObject({
      kind: 'jobmanager-started',
      running: false,
    });
  });

  it('still takes the scheduled event, with or without job names', () => {
    const scheduled = fixture('scheduled-event.json');

    expect(parseReconcileEvent(scheduled)).toEqual({ kind: 'schedule', jobNames: undefined });
    expect(parseReconcileEvent({ ...scheduled, detail: { jobNames: ['orders'] } })).toEqual({
      kind: 'schedule',
      jobNames: ['orders'],
    });
  });

  it('rejects a task event without its cluster, and anything else, with one line naming the field', () => {
    const running = fixture('ecs-task-running.json');
    const { clusterArn: _dropped, ...detail } = running.detail as Record<string, unknown>;

    expect(() => parseReconcileEvent({ ...running, detail })).toThrow(
      /^ECS task state change event is invalid: detail\.clusterArn: /,
    );
    expect(() => parseReconcileEvent({ source: 'aws.s3' })).toThrow(ControlPlaneEventInvalidError);
  });
});

/** A stand-in JobManager REST API whose /overview answers from a script, one entry per request. */
let server: Server | undefined;
async function jobManager(answers: Array<{ status: number; taskmanagers?: number }>): Promise<string> {
  let index = 0;
  server = createServer((_request, response) => {
    const answer = answers[Math.min(index++, answers.length - 1)]!;
    const slots = (answer.taskmanagers ?? 0) * 4;
    response.writeHead(answer.status, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify(
        answer.status === 200
          ? {
              'flink-version': '2.2.1',
              taskmanagers: answer.taskmanagers,
              'slots-total': slots,
              'slots-available': slots,
              'jobs-running': 0,
              'jobs-failed': 0,
            }
          : { errors: ['starting'] },
      ),
    );
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}
afterEach(() => {
  server?.close();
  server = undefined;
});

/** A control plane on the stand-in JobManager whose clock only moves when it sleeps. */
function planeOn(url: string, start: number) {
  const plane = createControlPlane(
    parseControlPlaneConfig({
      APPHUB_FLINK_REST_URL: url,
      APPHUB_SQL_GATEWAY_URL: url,
      APPHUB_JOBS_TABLE: 'streaming_jobs',
      APPHUB_SAVEPOINTS_TABLE: 'streaming_savepoints',
      APPHUB_LEASES_TABLE: 'streaming_leases',
      APPHUB_SAVEPOINT_DIR: 'file:///tmp/savepoints',
    }),
    { logger: createLogger('jobmanager-test', { sink: () => undefined }) },
  );
  const clock = { now: start, slept: [] as number[] };
  return {
    clock,
    plane: {
      ...plane,
      now: () => clock.now,
      sleep: async (ms: number) => {
        clock.slept.push(ms);
        clock.now += ms;
      },
    },
  };
}

describe('waiting for a restarted JobManager', () => {
  const start = Date.parse('2026-11-29T08:12:41Z');

  it('waits through a JobManager that is not up, then one without TaskManagers, until it has slots', async () => {
    // The REST client itself retries a 5xx three times before the wait sees a failed probe.
    const starting = Array.from({ length: 4 }, () => ({ status: 503 }));
    const url = await jobManager([
      ...starting,
      { status: 200, taskmanagers: 0 },
      { status: 200, taskmanagers: 2 },
    ]);
    const { plane, clock } = planeOn(url, start);

    const overview = await waitForJobManager(plane, start + 60_000);

    expect(overview).toMatchObject({ taskManagers: 2, slotsTotal: 8 });
    expect(clock.slept).toEqual([2_000, 2_000]);
  });

  it('gives up at its bound, which is the deadline less the time the reconcile pass needs', async () => {
    const url = await jobManager([{ status: 200, taskmanagers: 0 }]);
    const { plane, clock } = planeOn(url, start);
    const deadline = start + reconcileReserveMs + 9_000;

    const attempt = reconcileAfterJobManagerStart(plane, { deadline });

    await expect(attempt).rejects.toThrow(ControlPlaneJobManagerNotReadyError);
    await expect(attempt).rejects.toThrow(/did not become ready .* within 9 s/);
    expect(clock.now).toBe(deadline - reconcileReserveMs);
    expect(clock.slept).toEqual([2_000, 2_000, 2_000, 2_000, 1_000]);
  });
});
