import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseLocalEndpoints, platform } from '@apphub/platform';
import type { TestProject } from 'vitest/node';
import {
  createProgress,
  ensureStorage,
  localAwsClients,
  minioCommand,
  minioReady,
  motoCommand,
  motoReady,
  StackComponentUnhealthyError,
  StackPortInUseError,
  stackPaths,
  tailLog,
  waitUntil,
} from '../../local/src/stack/index.js';
import { ensureMinio, ensurePythonEnv } from '../../local/src/stack/installer.js';

/**
 * Loopback ports the storage project's own servers take: a range no stack component listens on
 * (checked below against platform.ports), so the project runs beside a running local stack.
 */
const privatePorts = { first: 14_000, last: 14_999 } as const;

/**
 * A closed loopback port: anything a storage test reaches there by mistake (Kafka, Flink) fails at
 * once instead of reaching a running stack.
 */
const closedPort = 9;

declare module 'vitest' {
  export interface ProvidedContext {
    /** APPHUB_* endpoint variables of this run's own MinIO and moto (test/storage/environment.ts sets them). */
    storageEnvironment: Record<string, string>;
  }
}

/** Whether nothing listens on 127.0.0.1:`port` (by binding it for a moment). */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` free ports of the private range, from a random start so concurrent runs rarely meet. */
async function freePrivatePorts(count: number): Promise<number[]> {
  const size = privatePorts.last - privatePorts.first + 1;
  const start = Math.floor(Math.random() * size);
  const found: number[] = [];
  for (let step = 0; step < size && found.length < count; step++) {
    const port = privatePorts.first + ((start + step) % size);
    if (await isFree(port)) found.push(port);
  }
  if (found.length < count)
    throw new StackPortInUseError(
      `fewer than ${count} free ports in ${privatePorts.first}-${privatePorts.last} for the storage tests' servers`,
    );
  return found;
}

/** A server this setup started: stopped (TERM, then KILL) when the project ends. */
interface Started {
  readonly name: string;
  readonly child: ChildProcess;
}

function start(name: string, argv: readonly string[], env: Record<string, string>, logFile: string): Started {
  const [command, ...args] = argv;
  const log = openSync(logFile, 'a');
  const child = spawn(command!, args, { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
  closeSync(log);
  return { name, child };
}

async function waitReady(server: Started, ready: () => Promise<boolean>, logFile: string): Promise<void> {
  const isAlive = () => server.child.exitCode === null && server.child.signalCode === null;
  if (await waitUntil(server.name, ready, { timeoutMs: 60_000, intervalMs: 200, isAlive })) return;
  throw new StackComponentUnhealthyError(
    `the storage tests' ${server.name} did not become ready (${isAlive() ? 'no answer in 60 s' : `exited with ${server.child.exitCode ?? server.child.signalCode}`}); its log ${logFile}:\n${tailLog(logFile)}`,
  );
}

async function stop(server: Started): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

/**
 * The storage project's own S3 (MinIO, the binary the stack builds) and DynamoDB (moto from the
 * stack's venv) on free private loopback ports, with the stack's buckets and tables; the endpoints
 * reach the tests through `provide`. Stops exactly the two processes it started.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // A platform port is a number or a range "first-last".
  const overlapping = Object.entries(platform.ports).filter(([, ports]) => {
    const [first, last = first] = String(ports).split('-').map(Number);
    return first! <= privatePorts.last && last! >= privatePorts.first;
  });
  if (overlapping.length > 0)
    throw new StackPortInUseError(
      `platform.ports ${JSON.stringify(overlapping)} overlap the storage tests' range`,
    );

  const paths = stackPaths();
  const progress = createProgress({ quiet: true });
  const [python, minioBinary] = await Promise.all([
    ensurePythonEnv(paths, progress),
    ensureMinio(paths, progress),
  ]);
  const scratch = mkdtempSync(path.join(tmpdir(), 'apphub-storage-tests-'));
  const minioData = path.join(scratch, 'minio');
  mkdirSync(minioData);
  const [motoPort, minioPort, consolePort] = await freePrivatePorts(3);

  const servers: Started[] = [];
  const stopAll = async () => {
    await Promise.all(servers.map(stop));
    rmSync(scratch, { recursive: true, force: true });
  };
  try {
    const motoLog = path.join(scratch, 'moto.log');
    const minioLog = path.join(scratch, 'minio.log');
    const moto = start('moto', motoCommand(python, motoPort!), {}, motoLog);
    servers.push(moto);
    const minio = minioCommand(minioBinary, minioData, minioPort!, consolePort!);
    const minioServer = start('MinIO', minio.argv, minio.env, minioLog);
    servers.push(minioServer);

    const environment = {
      APPHUB_AWS_ENDPOINT_URL: `http://127.0.0.1:${motoPort}`,
      APPHUB_S3_ENDPOINT_URL: `http://127.0.0.1:${minioPort}`,
      APPHUB_STREAM_BROKER_URL: `127.0.0.1:${closedPort}`,
      APPHUB_STREAM_TLS_BROKER_URL: `127.0.0.1:${closedPort}`,
      APPHUB_FLINK_REST_URL: `http://127.0.0.1:${closedPort}`,
      APPHUB_SQL_GATEWAY_URL: `http://127.0.0.1:${closedPort}`,
    };
    const endpoints = parseLocalEndpoints(environment);
    await Promise.all([
      waitReady(moto, () => motoReady(endpoints.awsEndpointUrl), motoLog),
      waitReady(minioServer, () => minioReady(endpoints.s3EndpointUrl), minioLog),
    ]);
    await ensureStorage(localAwsClients(endpoints), progress);
    project.provide('storageEnvironment', environment);
  } catch (error) {
    await stopAll();
    throw error;
  }
  return stopAll;
}
