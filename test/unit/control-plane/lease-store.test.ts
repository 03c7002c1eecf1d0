import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LeaseStore, withLease } from '@apphub/control-plane';
import { createLogger } from '@apphub/observability';
import { tables } from '@apphub/platform';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The lease is only as good as DynamoDB's conditional writes, so it is tested against a real
// DynamoDB API: moto (the local stack's endpoint) started here on a free loopback port, no state file.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const python = path.join(repoRoot, '.cache', 'venv', 'bin', 'python');

let moto: ChildProcess | undefined;
let store: LeaseStore;
const table = tables.leases.tableName;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitForEndpoint(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}`);
    const answered = await fetch(url).then(
      () => true,
      () => false,
    );
    if (answered) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`moto did not answer on ${url} within 30 s`);
}

beforeAll(async () => {
  if (!existsSync(python)) throw new Error(`the Python venv is missing at ${python}; run npm run setup`);
  const port = await freePort();
  moto = spawn(
    python,
    [path.join(repoRoot, 'local', 'moto', 'serve.py'), '-H', '127.0.0.1', '-p', String(port)],
    {
      stdio: 'ignore',
    },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForEndpoint(endpoint, moto);
  const dynamodb = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: tables.leases.partitionKey, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: tables.leases.partitionKey, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  store = new LeaseStore(dynamodb, table);
}, 60_000);

afterAll(() => {
  moto?.kill('SIGTERM');
});

const t0 = Date.parse('2026-12-01T10:00:00Z');

describe('LeaseStore (conditional writes on a real DynamoDB API)', () => {
  it('gives a free lease to one owner and tells the next who holds it until when', async () => {
    expect(await store.acquire('pass/reconcile', 'run-a', t0 + 60_000, t0)).toEqual({ acquired: true });

    expect(await store.acquire('pass/reconcile', 'run-b', t0 + 90_000, t0 + 1_000)).toEqual({
      acquired: false,
      holder: { owner: 'run-a', expiresAt: t0 + 60_000 },
    });
  });

  it('lets the holder renew, and anyone take an expired lease', async () => {
    await store.acquire('job/orders', 'run-a', t0 + 10_000, t0);

    expect(await store.acquire('job/orders', 'run-a', t0 + 20_000, t0 + 5_000)).toEqual({ acquired: true });
    expect((await store.acquire('job/orders', 'run-b', t0 + 30_000, t0 + 19_999)).acquired).toBe(false);
    expect(await store.acquire('job/orders', 'run-b', t0 + 40_000, t0 + 20_000)).toEqual({ acquired: true });
  });

  it('never releases a lease another owner took over after it expired', async () => {
    await store.acquire('job/payments', 'run-a', t0 + 10_000, t0);
    await store.acquire('job/payments', 'run-b', t0 + 50_000, t0 + 10_000);

    expect(await store.release('job/payments', 'run-a')).toBe(false);
    expect((await store.acquire('job/payments', 'run-c', t0 + 60_000, t0 + 11_000)).acquired).toBe(false);
    expect(await store.release('job/payments', 'run-b')).toBe(true);
    expect((await store.acquire('job/payments', 'run-c', t0 + 60_000, t0 + 11_000)).acquired).toBe(true);
  });

  it('grants a contended lease to exactly one of many concurrent runs', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, index) =>
        store.acquire('pass/savepoint', `run-${index}`, t0 + 60_000, t0),
      ),
    );

    expect(attempts.filter((attempt) => attempt.acquired)).toHaveLength(1);
  });
});

describe('withLease', () => {
  const lines: string[] = [];
  const logger = createLogger('lease-test', { sink: (line) => lines.push(line) });
  const context = (owner: string, clock = { now: Date.now(), slept: [] as number[] }) => ({
    leases: store,
    owner,
    logger,
    now: () => clock.now,
    sleep: async (ms: number) => {
      clock.slept.push(ms);
      clock.now += ms;
    },
  });

  it('runs the work holding the lease and releases it afterwards, also when the work fails', async () => {
    const first = await withLease(
      context('run-a'),
      'pass/demo',
      { deadline: Date.now() + 60_000 },
      async () => {
        const during = await store.acquire('pass/demo', 'run-b', Date.now() + 60_000, Date.now());
        return during.acquired;
      },
    );
    expect(first).toEqual({ ran: true, value: false });

    const failing = withLease(context('run-b'), 'pass/demo', {}, async () => {
      throw new Error('boom');
    });
    await expect(failing).rejects.toThrow('boom');
    expect((await store.acquire('pass/demo', 'run-c', Date.now() + 1_000, Date.now())).acquired).toBe(true);
    await store.release('pass/demo', 'run-c');
  });

  it('returns without running the work, and logs that another run is active, when the lease is held', async () => {
    await store.acquire('pass/held', 'other-run', Date.now() + 60_000, Date.now());
    let ran = false;

    const outcome = await withLease(context('run-a'), 'pass/held', {}, async () => {
      ran = true;
    });

    expect(ran).toBe(false);
    expect(outcome).toMatchObject({ ran: false, holder: { owner: 'other-run' } });
    expect(lines.some((line) => line.includes('another run is active') && line.includes('other-run'))).toBe(
      true,
    );
  });

  it('waits for a held lease until its waitUntil, taking it once the holder has released it', async () => {
    const clock = { now: Date.now(), slept: [] as number[] };
    await store.acquire('pass/wait', 'other-run', clock.now + 600_000, clock.now);
    const waiting = context('run-a', clock);
    let polls = 0;
    const released = {
      ...waiting,
      sleep: async (ms: number) => {
        polls += 1;
        if (polls === 3) await store.release('pass/wait', 'other-run');
        await waiting.sleep(ms);
      },
    };

    const outcome = await withLease(
      released,
      'pass/wait',
      { waitUntil: clock.now + 30_000 },
      async () => 'done',
    );

    expect(outcome).toEqual({ ran: true, value: 'done' });
    expect(polls).toBe(3);
    expect(clock.slept.every((ms) => ms <= 2_000)).toBe(true);
  });

  it('gives up waiting at waitUntil', async () => {
    const clock = { now: Date.now(), slept: [] as number[] };
    await store.acquire('pass/stuck', 'other-run', clock.now + 600_000, clock.now);

    const outcome = await withLease(
      context('run-a', clock),
      'pass/stuck',
      { waitUntil: clock.now + 10_000 },
      async () => 'never',
    );

    expect(outcome.ran).toBe(false);
    expect(clock.slept.reduce((sum, ms) => sum + ms, 0)).toBe(10_000);
  });
});
