import { type LogItem, Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';

/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  /** Default: POWERTOOLS_LOG_LEVEL, LOG_LEVEL or AWS_LAMBDA_LOG_LEVEL, else info. */
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
  return new Logger(
    {
      serviceName: service,
      ...(options.level ? { logLevel: options.level } : {}),
      ...(options.fields ? { persistentKeys: options.fields } : {}),
    },
    options.sink,
  );
}
