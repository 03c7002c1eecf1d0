import { defaultRetryDecider, isServerError } from '@smithy/core/retry';

/**
 * Whether `error`, or any error in its cause chain, is one the AWS SDK itself classifies as worth
 * retrying: throttling, a transient error (timeouts, dropped connections, 500/502/503/504, a
 * `$retryable` service error) or another 5xx server error. Those are what an S3 or DynamoDB outage
 * looks like from the handler; anything else (a refused condition, a bad request, a bug) is not.
 */
export function isStorageOutage(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 10) return false;
  const candidate = error as Error & { cause?: unknown };
  if (defaultRetryDecider(candidate as never) || isServerError(candidate as never)) return true;
  return isStorageOutage(candidate.cause, depth + 1);
}

/** How the handler rides out an outage inside one invocation. */
export interface OutageRetryOptions {
  /** Milliseconds left in the invocation (the Lambda context's getRemainingTimeInMillis). */
  readonly remainingMs: () => number;
  /**
   * Time kept free at the end of the invocation for the last attempt to fail cleanly and the
   * response to be sent (default 30 s).
   */
  readonly reserveMs?: number;
  /** First pause between attempts; it doubles up to maxDelayMs (default 1 s). */
  readonly initialDelayMs?: number;
  /** Longest pause between attempts (default 20 s). */
  readonly maxDelayMs?: number;
  /** Waits; injectable for tests (default setTimeout). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told of every attempt that met an outage and will be tried again. */
  readonly onOutage?: (details: { attempt: number; retryInMs: number; error: unknown }) => void;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `work` again, with exponential backoff, while it fails with a storage outage and the
 * invocation has time left (less `reserveMs`); then the last error is thrown, so the event source
 * mapping's own retries start from there. Safe because `work` is idempotent: a batch handled twice
 * writes the same objects and conditional updates as once. Any other error is thrown at once.
 */
export async function rideOutStorageOutage<T>(
  work: () => Promise<T>,
  options: OutageRetryOptions,
): Promise<T> {
  const reserveMs = options.reserveMs ?? 30_000;
  const maxDelayMs = options.maxDelayMs ?? 20_000;
  const sleep = options.sleep ?? wait;
  let delayMs = options.initialDelayMs ?? 1_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      // The clock is read anew at every attempt: the outage decides how long each one took.
      const spareMs = options.remainingMs() - reserveMs;
      if (!isStorageOutage(error) || spareMs < delayMs) throw error;
      options.onOutage?.({ attempt, retryInMs: delayMs, error });
      await sleep(delayMs);
      delayMs = Math.min(maxDelayMs, delayMs * 2);
    }
  }
}
