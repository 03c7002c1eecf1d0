/**
 * Base error of the project. Every error names its area and problem (`<Area><Problem>Error`) and
 * carries its cause. Its message is written for the person who runs the command or reads the log,
 * and is shown as it is (by a CLI as its one `error:` line, by a handler in its log and answer), so
 * it never holds a secret's content. Each package derives its errors from its own base.
 */
export class AppHubError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}

/** Base error of the platform package (configuration, schemas, endpoints). */
export class PlatformError extends AppHubError {}

/** A configuration value (environment, context, descriptor) failed its schema. */
export class ConfigInvalidError extends PlatformError {}

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
