/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const severity: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Structured JSON logger: one line per entry, readable by CloudWatch Logs Insights and by `jq` locally. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger that adds `fields` to every entry. */
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** Where lines go; defaults to stdout (Lambda forwards it to CloudWatch). */
  readonly sink?: (line: string) => void;
  readonly fields?: Record<string, unknown>;
}

/** Creates a logger for `service`; the level defaults to LOG_LEVEL or info. */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  const level = options.level ?? parseLevel(process.env.LOG_LEVEL);
  const sink = options.sink ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = { service, ...options.fields };
  const write = (entryLevel: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (severity[entryLevel] < severity[level]) return;
    sink(
      JSON.stringify({
        timestamp: new Date().toISOString(),
        level: entryLevel,
        message,
        ...base,
        ...serialize(fields),
      }),
    );
  };
  return {
    debug: (message, fields) => write('debug', message, fields),
    info: (message, fields) => write('info', message, fields),
    warn: (message, fields) => write('warn', message, fields),
    error: (message, fields) => write('error', message, fields),
    child: (fields) => createLogger(service, { level, sink, fields: { ...options.fields, ...fields } }),
  };
}

function parseLevel(value: string | undefined): LogLevel {
  const lower = value?.toLowerCase();
  return lower === 'debug' || lower === 'warn' || lower === 'error' ? lower : 'info';
}

/** Errors do not survive JSON.stringify; turn them into name, message and the cause chain. */
function serialize(fields: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!fields) return fields;
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => [key, value instanceof Error ? errorToJson(value) : value]),
  );
}

function errorToJson(error: Error): Record<string, unknown> {
  return {
    name: error.name,
    message: error.message,
    ...(error.cause instanceof Error
      ? { cause: errorToJson(error.cause) }
      : error.cause === undefined
        ? {}
        : { cause: String(error.cause) }),
  };
}
