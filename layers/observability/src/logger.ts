import { type LogItem, Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';

/** Log levels in increasing severity. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** Default: LOG_LEVEL (any case; the CDK's `logLevel` sets it on every Lambda), else info. */
  readonly level?: LogLevel;
  /** Where lines go instead of Powertools' console (stdout; warn and error on stderr). */
  readonly sink?: (line: string) => void;
  /** Keys added to every entry. */
  readonly fields?: Record<string, unknown>;
}

/**
 * The Powertools Logger, one JSON line per entry (CloudWatch Logs Insights in AWS, `jq` locally),
 * with an optional sink for local tools whose stdout carries something else, and `child(fields)`.
 */
export class Logger extends PowertoolsLogger {
  readonly #sink: ((line: string) => void) | undefined;

  constructor(options: ConstructorOptions, sink?: (line: string) => void) {
    super(options);
    this.#sink = sink;
  }

  /** A logger that adds `fields` to every entry. */
  child(fields: Record<string, unknown>): Logger {
    return this.createChild({ persistentKeys: fields }) as Logger;
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new Logger(options ?? {}, this.#sink);
  }

  protected override printLog(logLevel: number, log: LogItem): void {
    if (!this.#sink) {
      super.printLog(logLevel, log);
      return;
    }
    log.prepareForPrint();
    this.#sink(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }
}

/** Creates the logger of `service` (the Powertools `service` key). */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  const fromEnvironment = process.env.LOG_LEVEL?.toLowerCase();
  const level = options.level ?? LOG_LEVELS.find((known) => known === fromEnvironment);
  return new Logger(
    {
      serviceName: service,
      // Powertools reads LOG_LEVEL only in upper case; its constructor option takes any case.
      ...(level ? { logLevel: level } : {}),
      ...(options.fields ? { persistentKeys: options.fields } : {}),
    },
    options.sink,
  );
}
