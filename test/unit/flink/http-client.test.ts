import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  FLINK_PROBE_TIMEOUT_MS,
  FlinkJobNotFoundError,
  FlinkRequestError,
  FlinkRestClient,
  FlinkUnreachableError,
  SqlGatewayClient,
} from '@apphub/flink';
import { afterEach, describe, expect, it } from 'vitest';
import { closedPort } from '../../support/closed-ports.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const servers: Server[] = [];

/** A plain HTTP server on an ephemeral 127.0.0.1 port; it exercises transport behaviour only. */
async function serve(handler: Handler): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((request, response) => {
    hits += 1;
    handler(request, response);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    }),
  );
});

const overview = {
  'flink-version': '2.2.1',
  taskmanagers: 2,
  'slots-total': 4,
  'slots-available': 3,
  'jobs-running': 1,
  'jobs-failed': 0,
};

describe('Flink HTTP transport', () => {
  it('retries a read after 5xx answers with backoff and returns the eventual answer', async () => {
    let calls = 0;
    const server = await serve((_request, response) => {
      calls += 1;
      if (calls < 3) json(response, 503, { errors: ['busy'] });
      else json(response, 200, overview);
    });
    const client = new FlinkRestClient({ baseUrl: server.url, backoffMs: 5 });

    const result = await client.overview();

    expect(result).toEqual({
      flinkVersion: '2.2.1',
      taskManagers: 2,
      slotsTotal: 4,
      slotsAvailable: 3,
      jobsRunning: 1,
      jobsFailed: 0,
    });
    expect(server.hits()).toBe(3);
  });

  it('gives up after the configured retries and carries the root cause of Flink errors', async () => {
    const server = await serve((_request, response) =>
      json(response, 500, {
        errors: [
          'Internal server error.',
          '<Exception on server side:\norg.apache.flink.runtime.rest.handler.RestHandlerException: outer\n\tat x.y(Z.java:1)\nCaused by: java.lang.IllegalStateException: the real reason\n\tat a.b(C.java:2)\n\nEnd of exception on server side>',
        ],
      }),
    );
    const client = new FlinkRestClient({ baseUrl: server.url, retries: 2, backoffMs: 1 });

    const error = await client.jobs().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(FlinkRequestError);
    expect((error as FlinkRequestError).status).toBe(500);
    expect((error as FlinkRequestError).rootCause).toBe('the real reason');
    expect((error as Error).message).toBe(
      'Flink JobManager REST API GET /jobs/overview failed with HTTP 500: the real reason',
    );
    expect(server.hits()).toBe(3);
  });

  it('does not retry a 4xx and maps an unknown job to FlinkJobNotFoundError', async () => {
    const server = await serve((_request, response) =>
      json(response, 404, {
        errors: [
          'org.apache.flink.runtime.rest.NotFoundException: Job 00000000000000000000000000000001 not found\n\tat a.b(C.java:1)',
        ],
      }),
    );
    const client = new FlinkRestClient({ baseUrl: server.url, backoffMs: 1 });

    const error = await client.job('00000000000000000000000000000001').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(FlinkJobNotFoundError);
    expect((error as Error).message).toContain('Job 00000000000000000000000000000001 not found');
    expect(server.hits()).toBe(1);
  });

  it("takes a 404 for an unknown job only on a job's resource, whatever the text says", async () => {
    // Flink 2.2.1's answers (first lines): an unknown job's cancellation, an unknown savepoint
    // trigger of a job, and an SQL Gateway 404; only the first is about the job itself.
    const server = await serve((request, response) => {
      if (request.method === 'PATCH') {
        json(response, 404, {
          errors: [
            'org.apache.flink.runtime.rest.handler.RestHandlerException: Could not cancel.\n\tat a.b(C.java:1)',
          ],
        });
      } else if (request.url?.includes('/savepoints/')) {
        json(response, 404, {
          errors: [
            'org.apache.flink.runtime.rest.handler.RestHandlerException: There is no savepoint operation with triggerId=t1 for job 00000000000000000000000000000001.',
          ],
        });
      } else json(response, 404, { errors: ['Job 00000000000000000000000000000001 is not a session'] });
    });
    const rest = new FlinkRestClient({ baseUrl: server.url, backoffMs: 1 });
    const gateway = new SqlGatewayClient({ baseUrl: server.url, backoffMs: 1 });

    const cancel = await rest.cancel('00000000000000000000000000000001').catch((caught: unknown) => caught);
    const trigger = await rest
      .savepointStatus('00000000000000000000000000000001', 't1')
      .catch((caught: unknown) => caught);
    const session = await gateway.openSession().catch((caught: unknown) => caught);

    expect(cancel).toBeInstanceOf(FlinkJobNotFoundError);
    expect(
      [trigger, session].map((error) => [
        error instanceof FlinkJobNotFoundError,
        (error as FlinkRequestError).status,
      ]),
    ).toEqual([
      [false, 404],
      [false, 404],
    ]);
  });

  it('tells a savepoint that failed from one that is still running when the wait ends', async () => {
    const server = await serve((request, response) =>
      json(
        response,
        200,
        request.url?.endsWith('/failing')
          ? {
              status: { id: 'COMPLETED' },
              operation: {
                'failure-cause': {
                  'stack-trace': 'java.io.IOException: disk full',
                  'serialized-throwable': 'rO0',
                },
              },
            }
          : { status: { id: 'IN_PROGRESS' } },
      ),
    );
    const client = new FlinkRestClient({ baseUrl: server.url });

    const failed = await client.waitForSavepoint('j1', 'failing').catch((caught: unknown) => caught);
    const running = await client
      .waitForSavepoint('j1', 'running', { timeoutMs: 50, pollMs: 10 })
      .catch((caught: unknown) => caught);

    expect([failed, running].map((error) => [(error as Error).name, (error as Error).message])).toEqual([
      ['FlinkSavepointError', 'Savepoint of job j1 failed: disk full'],
      ['FlinkSavepointTimeoutError', 'Savepoint of job j1 (trigger running) did not complete within 50 ms'],
    ]);
  });

  it('never repeats a savepoint trigger that reached Flink, even on a 5xx', async () => {
    const server = await serve((_request, response) => json(response, 503, { errors: ['overloaded'] }));
    const client = new FlinkRestClient({ baseUrl: server.url, backoffMs: 1 });

    await expect(client.triggerSavepoint('abc', 'file:///tmp/sp')).rejects.toThrow(FlinkRequestError);

    expect(server.hits()).toBe(1);
  });

  it('never repeats a savepoint trigger that timed out: it may have reached Flink', async () => {
    const server = await serve(() => {
      // never answers
    });
    const client = new FlinkRestClient({ baseUrl: server.url, timeoutMs: 1_000, retries: 2, backoffMs: 1 });

    await expect(client.triggerSavepoint('abc', 'file:///tmp/sp')).rejects.toThrow(FlinkUnreachableError);

    expect(server.hits()).toBe(1);
  });

  it('reports a refused connection as one line naming the component and its URL', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const client = new SqlGatewayClient({ baseUrl: url, retries: 1, backoffMs: 1 });
    const inAws = new SqlGatewayClient({
      baseUrl: url,
      retries: 0,
      unreachableHint: 'check the network path',
    });

    const error = await client.openSession().catch((caught: unknown) => caught);
    const withHint = await inAws.openSession().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(FlinkUnreachableError);
    expect((error as Error).message).toBe(`SQL Gateway not reachable at ${url}`);
    expect((withHint as Error).message).toBe(`SQL Gateway not reachable at ${url} — check the network path`);
  });

  it('reports a server that does not answer in time as unreachable', async () => {
    const server = await serve(() => {
      // never answers
    });
    const client = new FlinkRestClient({ baseUrl: server.url, timeoutMs: 1_000, retries: 1, backoffMs: 1 });

    const error = await client.overview().catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(FlinkUnreachableError);
    expect((error as Error).message).toBe(
      `Flink JobManager REST API did not answer within 1000 ms at ${server.url}`,
    );
    expect(server.hits()).toBe(2);
  });

  it('probes once: a health probe neither retries a 5xx nor waits longer than the probe timeout', async () => {
    const busy = await serve((_request, response) => json(response, 503, { errors: ['starting'] }));
    const silent = await serve(() => {
      // never answers
    });

    const refused = await FlinkRestClient.forHealthProbes(busy.url)
      .overview()
      .catch((caught: unknown) => caught);
    const timedOut = await FlinkRestClient.forHealthProbes(silent.url)
      .taskManagers()
      .catch((caught: unknown) => caught);

    expect(refused).toBeInstanceOf(FlinkRequestError);
    expect(busy.hits()).toBe(1);
    expect(timedOut).toBeInstanceOf(FlinkUnreachableError);
    expect((timedOut as Error).message).toContain(`did not answer within ${FLINK_PROBE_TIMEOUT_MS} ms`);
    // The message names the probe's own timeout; one hit shows it did not retry.
    expect(silent.hits()).toBe(1);
  });

  it('rejects a body that does not match the expected shape with a clear message', async () => {
    const server = await serve((_request, response) => json(response, 200, { taskmanagers: 'two' }));
    const client = new FlinkRestClient({ baseUrl: server.url });

    await expect(client.overview()).rejects.toThrow(/Unexpected Flink response for GET \/overview: /);
  });
});
