/** A clock to wait with: the control plane's own, or a test's that advances time itself. */
export interface WaitClock {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * Polls `probe` until it returns a value or `until` (epoch ms) passes; returns the value, or
 * undefined on timeout. The probe runs at least once, and never starts after `until`.
 */
export async function pollUntil<T>(
  clock: WaitClock,
  probe: () => Promise<T | undefined>,
  options: { readonly until: number; readonly everyMs: number },
): Promise<T | undefined> {
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const left = options.until - clock.now();
    if (left <= 0) return undefined;
    await clock.sleep(Math.min(options.everyMs, left));
  }
}
