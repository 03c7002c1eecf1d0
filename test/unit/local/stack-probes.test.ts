import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseLocalEndpoints } from '@apphub/platform';
import { afterEach, describe, expect, it } from 'vitest';
import { stackComponents, stackPaths, taskManagerIdFile } from '../../../local/src/stack/index.js';

let server: Server | undefined;
const stackDirs: string[] = [];

/** A stand-in JobManager REST API answering /overview and /taskmanagers as Flink 2.2 does. */
async function jobManager(status: number): Promise<string> {
  server = createServer((request, response) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    if (status !== 200) return response.end(JSON.stringify({ errors: ['starting'] }));
    const body =
      request.url === '/overview'
        ? {
            'flink-version': '2.2.1',
            taskmanagers: 1,
            'slots-total': 4,
            'slots-available': 3,
            'jobs-running': 1,
            'jobs-failed': 0,
          }
        : {
            taskmanagers: [
              { id: 'taskmanager-1-a1b2c3', slotsNumber: 4, freeSlots: 3, timeSinceLastHeartbeat: 1 },
            ],
          };
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  for (const dir of stackDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function components(flinkRestUrl: string) {
  const endpoints = parseLocalEndpoints({ APPHUB_FLINK_REST_URL: flinkRestUrl });
  const stackDir = mkdtempSync(path.join(tmpdir(), 'apphub-probe-'));
  stackDirs.push(stackDir);
  const paths = stackPaths(stackDir);
  mkdirSync(paths.runtime, { recursive: true });
  writeFileSync(taskManagerIdFile(paths, 'taskmanager-1'), 'taskmanager-1-a1b2c3\n');
  const byName = (name: string) => stackComponents(endpoints).find((component) => component.name === name)!;
  return {
    jobManager: () => byName('jobmanager').probe(paths, endpoints),
    taskManager: () => byName('taskmanager-1').probe(paths, endpoints),
  };
}

describe('the Flink probes of local:status (typed REST client, one attempt)', () => {
  it('read the overview and the registered TaskManager from the JobManager', async () => {
    const probes = components(await jobManager(200));

    expect(await probes.jobManager()).toEqual({
      healthy: true,
      detail: 'Flink 2.2.1: 1 TaskManagers, 3/4 slots free, 1 jobs running',
    });
    expect((await probes.taskManager()).detail).toMatch(
      /^registered as taskmanager-1-a1b2c3, 3\/4 slots free, metrics :\d+$/,
    );
  });

  it('report a JobManager that answers an error as not answering', async () => {
    const probes = components(await jobManager(503));

    expect(await probes.jobManager()).toEqual({ healthy: false, detail: 'REST API not answering' });
    expect(await probes.taskManager()).toEqual({ healthy: false, detail: 'JobManager not answering' });
  });
});
