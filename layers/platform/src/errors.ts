/**
 * Base error of the project. Every error names its area and problem (`<Area><Problem>Error`),
 * carries its cause, and says whether its message may be shown to a caller as it is.
 */
export class AppHubError extends Error {
  /** True when the message is safe and useful to print as the one line a user sees. */
  readonly exposable: boolean;

  constructor(message: string, options: { cause?: unknown; exposable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exposable = options.exposable ?? true;
  }
}

/** A configuration value (environment, context, descriptor) failed its schema. */
export class ConfigInvalidError extends AppHubError {}

/** Follows `cause` links to the innermost error, for messages that must name the root cause. */
export function rootCause(error: unknown): unknown {
  let current = error;
  const seen = new Set<unknown>();
  while (current instanceof Error && current.cause !== undefined && !seen.has(current)) {
    seen.add(current);
    current = current.cause;
  }
  return current;
}

/** One line for a user: the message of an AppHubError, or the error's own message otherwise. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message.split('\n')[0] ?? error.name;
  return String(error);
}
