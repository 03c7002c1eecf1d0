import { LeaseStore, withLease } from '@apphub/control-plane';
import { createLogger } from '@apphub/observability';
import { tables } from '@apphub/platform';
import { describe, expect, it } from 'vitest';
import { aws } from '../helpers.js';

// The lease is only as good as DynamoDB's conditional writes, so it is tested against a real
// DynamoDB API: moto, the storage project's own, with the leases table the stack creates.
const store = new LeaseStore(aws.dynamodb, tables.leases.tableName);

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
