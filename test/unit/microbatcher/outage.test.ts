import {
  decideAfterFailure,
  type EventSourceSettings,
  eventSourceDefaults,
  isStorageOutage,
  OUTAGE_RESERVE_SECONDS,
  rideOutStorageOutage,
} from '@apphub/microbatcher';
import { AppHubError } from '@apphub/platform';
import { describe, expect, it } from 'vitest';

/** An error as the AWS SDK throws it for an HTTP status, e.g. S3's 503 SlowDown. */
function serviceError(name: string, httpStatusCode: number): Error {
  return Object.assign(new Error(name), { name, $fault: 'server', $metadata: { httpStatusCode } });
}

/** A clock that only moves when the code under test sleeps or works. */
function fakeClock() {
  let now = 0;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

describe('what counts as a storage outage', () => {
  it('is what the AWS SDK retries: throttling, 5xx, timeouts and dropped connections, also as a cause', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' });
    const timeout = Object.assign(new Error('socket timed out'), { name: 'TimeoutError' });

    expect(isStorageOutage(serviceError('SlowDown', 503))).toBe(true);
    expect(isStorageOutage(serviceError('InternalError', 500))).toBe(true);
    expect(isStorageOutage(serviceError('ThrottlingException', 400))).toBe(true);
    expect(isStorageOutage(refused)).toBe(true);
    expect(isStorageOutage(timeout)).toBe(true);
    expect(isStorageOutage(new AppHubError('cannot write the hot part', { cause: refused }))).toBe(true);
  });

  it('is not a refused condition, a bad request, a missing bucket or a bug', () => {
    expect(isStorageOutage(serviceError('ConditionalCheckFailedException', 400))).toBe(false);
    expect(isStorageOutage(serviceError('NoSuchBucket', 404))).toBe(false);
    expect(isStorageOutage(serviceError('AccessDenied', 403))).toBe(false);
    expect(isStorageOutage(new TypeError('cannot read properties of undefined'))).toBe(false);
    expect(isStorageOutage(undefined)).toBe(false);
  });
});

describe('riding out an outage inside one invocation', () => {
  it('tries again with growing pauses until the work succeeds', async () => {
    const clock = fakeClock();
    const outageEndsAt = 45_000;
    const pauses: number[] = [];

    const result = await rideOutStorageOutage(
      async () => {
        clock.advance(200);
        if (clock.now() < outageEndsAt) throw serviceError('SlowDown', 503);
        return 'done';
      },
      {
        remainingMs: () => 300_000 - clock.now(),
        sleep: clock.sleep,
        onOutage: ({ retryInMs }) => pauses.push(retryInMs),
      },
    );

    expect(result).toBe('done');
    expect(pauses.slice(0, 6)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 20_000]);
    expect(clock.now()).toBeGreaterThanOrEqual(outageEndsAt);
  });

  it('throws any other error at once, without a second attempt', async () => {
    let attempts = 0;
    const bug = new TypeError('bug');

    const run = rideOutStorageOutage(
      async () => {
        attempts += 1;
        throw bug;
      },
      { remainingMs: () => 300_000, sleep: async () => undefined },
    );

    await expect(run).rejects.toBe(bug);
    expect(attempts).toBe(1);
  });

  it('gives up with the outage error when only the reserve of the invocation is left', async () => {
    const clock = fakeClock();
    const outage = serviceError('ServiceUnavailable', 503);

    const run = rideOutStorageOutage(
      async () => {
        clock.advance(100);
        throw outage;
      },
      { remainingMs: () => 120_000 - clock.now(), sleep: clock.sleep },
    );

    await expect(run).rejects.toBe(outage);
    expect(clock.now()).toBeLessThanOrEqual(120_000 - OUTAGE_RESERVE_SECONDS * 1000);
    expect(clock.now()).toBeGreaterThan(120_000 - OUTAGE_RESERVE_SECONDS * 1000 - 20_000);
  });
});

/**
 * A batch over time, as the event source mapping invokes it: each invocation gets the function's
 * timeout and rides out the outage inside, the mapping decides after each failed invocation.
 */
async function deliverThroughOutage(
  settings: EventSourceSettings,
  timeoutSeconds: number,
  outageMs: number,
): Promise<{ outcome: string; invocations: number }> {
  const clock = fakeClock();
  for (let invocations = 1; ; invocations++) {
    const started = clock.now();
    try {
      await rideOutStorageOutage(
        async () => {
          clock.advance(500);
          if (clock.now() < outageMs) throw serviceError('SlowDown', 503);
        },
        { remainingMs: () => timeoutSeconds * 1000 - (clock.now() - started), sleep: clock.sleep },
      );
      return { outcome: 'processed', invocations };
    } catch {
      const decision = decideAfterFailure(settings, invocations, false);
      if (decision.action !== 'retry') return { outcome: decision.action, invocations };
      clock.advance(1_000);
    }
  }
}

describe('a batch during an S3 or DynamoDB outage, with the default mapping settings and timeout', () => {
  it('is delayed, not diverted, by an outage of five minutes', async () => {
    const result = await deliverThroughOutage(eventSourceDefaults, 300, 5 * 60_000);

    expect(result.outcome).toBe('processed');
    expect(result.invocations).toBe(2);
  });

  it('goes to the on-failure destination only after an outage longer than all its invocations', async () => {
    const result = await deliverThroughOutage(eventSourceDefaults, 300, 60 * 60_000);

    expect(result).toEqual({
      outcome: 'send-to-destination',
      invocations: 1 + eventSourceDefaults.retryAttempts,
    });
  });
});
