/** Progress lines on stderr, so a command's real output (tables, JSON) stays clean on stdout. */
export interface Progress {
  step(message: string): void;
  detail(message: string): void;
}

export function createProgress(options: { quiet?: boolean } = {}): Progress {
  const started = Date.now();
  const write = (line: string) => {
    if (!options.quiet) process.stderr.write(`${line}\n`);
  };
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`.padStart(7);
  return {
    step: (message) => write(`[${elapsed()}] ${message}`),
    detail: (message) => write(`           ${message}`),
  };
}

/** Waits for `check` to return true, polling, with a progress line every few seconds. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; progress?: Progress; isAlive?: () => boolean },
): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  let lastReport = Date.now();
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    if (options.isAlive && !options.isAlive()) return false;
    if (Date.now() - lastReport > 5_000) {
      options.progress?.detail(
        `still waiting for ${what} (${Math.round((deadline - Date.now()) / 1000)}s left)`,
      );
      lastReport = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
  return false;
}
