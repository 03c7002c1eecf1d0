import { AppHubError } from '@apphub/platform';

/** Base error of the Flink clients; every Flink failure the control plane reports is one of these. */
export class FlinkError extends AppHubError {}

/** The JobManager REST API or the SQL Gateway refused the connection or did not answer in time. */
export class FlinkUnreachableError extends FlinkError {
  constructor(
    message: string,
    readonly url: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/**
 * Flink answered with an HTTP error; `flinkErrors` holds Flink's own `errors` texts and
 * `rootCause` their innermost meaningful message.
 */
export class FlinkRequestError extends FlinkError {
  constructor(
    message: string,
    readonly status: number,
    readonly flinkErrors: readonly string[],
    readonly rootCause: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/**
 * Flink does not know the job id (finished long ago, lost with a JobManager restart, or a typo): the
 * JobManager answered HTTP 404 to a request on one job's resource (`/jobs/{id}`, its checkpoints, its
 * cancellation), which is how Flink's REST API reports its FlinkJobNotFoundException.
 */
export class FlinkJobNotFoundError extends FlinkRequestError {}

/** A SQL statement failed in the SQL Gateway; the message is Flink's root cause line. */
export class FlinkSqlError extends FlinkError {
  constructor(
    message: string,
    readonly statement: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** A savepoint did not complete: Flink reported a failure, or it did not finish within the timeout. */
export class FlinkSavepointError extends FlinkError {}

/** A savepoint did not finish within the time waited for it; Flink may still complete it later. */
export class FlinkSavepointTimeoutError extends FlinkSavepointError {}

/** A SQL template names variables that were not supplied; nothing was sent to Flink. */
export class SqlTemplateVariableMissingError extends FlinkError {
  constructor(readonly missing: readonly string[]) {
    super(`SQL template variables missing: ${missing.join(', ')}`);
  }
}

/** Flink answered with a body this client does not understand (a version mismatch, usually). */
export class FlinkResponseInvalidError extends FlinkError {}

/** A template variable's value cannot stand where its placeholder is without changing the SQL's meaning. */
export class SqlTemplateValueInvalidError extends FlinkError {
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`SQL template variable ${variable} cannot be inserted: ${reason}`);
  }
}
