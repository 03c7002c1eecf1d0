import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAlive } from '@apphub/control-plane';
import {
  type FlinkJob,
  type FlinkJobState,
  FlinkResponseInvalidError,
  FlinkRestClient,
  flinkJobStateSchema,
  isTerminal,
} from '@apphub/flink';
import { afterEach, describe, expect, it } from 'vitest';

const servers: Server[] = [];

/** A JobManager stand-in that answers GET /jobs/overview with `jobs`. */
async function jobsOverview(jobs: readonly unknown[]): Promise<string> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ jobs }));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
});

function job(state: FlinkJobState, id = 'j1', startTime = 1_000): FlinkJob {
  return { id, name: 'orders', state, startTime, endTime: -1, allTasksRunning: false, parallelism: 1 };
}

describe('Flink job states', () => {
  it('are terminal exactly when FINISHED, CANCELED, FAILED or SUSPENDED; every other state is alive', () => {
    const terminal = flinkJobStateSchema.options.filter((state) => isTerminal(state));
    const alive = flinkJobStateSchema.options.filter((state) => isAlive(job(state)));

    expect(terminal).toEqual(['FAILED', 'CANCELED', 'FINISHED', 'SUSPENDED']);
    expect(alive).toEqual([
      'INITIALIZING',
      'CREATED',
      'RUNNING',
      'FAILING',
      'CANCELLING',
      'RESTARTING',
      'RECONCILING',
    ]);
    expect(isAlive(undefined)).toBe(false);
  });

  it('reach FlinkJob.state typed from the REST answer, and a state Flink 2.2 does not have is refused', async () => {
    const listed = { name: 'orders', 'start-time': 1, 'end-time': -1 };
    const known = await jobsOverview([{ ...listed, jid: 'a', state: 'SUSPENDED' }]);
    const unknown = await jobsOverview([{ ...listed, jid: 'b', state: 'DEPLOYING' }]);

    const jobs = await new FlinkRestClient({ baseUrl: known }).jobs();
    const refused = await new FlinkRestClient({ baseUrl: unknown }).jobs().catch((error: unknown) => error);

    expect(jobs.map((each) => [each.id, each.state, isTerminal(each.state)])).toEqual([
      ['a', 'SUSPENDED', true],
    ]);
    expect(refused).toBeInstanceOf(FlinkResponseInvalidError);
    expect((refused as Error).message).toMatch(/^Unexpected Flink response for jobs: jobs\.0\.state: /);
  });
});
