import pRetry from 'p-retry';
import { FlinkJobNotFoundError, FlinkRequestError, FlinkUnreachableError } from './errors.js';
import { flinkRootCause } from './root-cause.js';

/** Options shared by the JobManager REST and SQL Gateway clients. */
export interface FlinkHttpOptions {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:8081. */
  readonly baseUrl: string;
  /** Per-request timeout. Default 10,000 ms. */
  readonly timeoutMs?: number;
  /** Retries after the first attempt on connection errors and 5xx answers. Default 3. */
  readonly retries?: number;
  /** First backoff delay, doubled on every retry. Default 250 ms. */
  readonly backoffMs?: number;
  /** What an operator should check when the endpoint is unreachable, added to the message. Default none. */
  readonly unreachableHint?: string | undefined;
}

/** One request; `retry` says which failures may be repeated without doing the work twice. */
export interface FlinkRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  /**
   * `safe`: retry connection errors, timeouts and 5xx (reads, idempotent writes).
   * `unsent-only`: retry only when the connection was refused, i.e. the request never arrived.
   */
  readonly retry: 'safe' | 'unsent-only';
  /**
   * `job`: the path is one job's resource, so HTTP 404 means Flink does not know that job
   * (FlinkJobNotFoundError). Flink's error JSON carries no code; the status of a known route does.
   */
  readonly notFound?: 'job';
}

/** JSON over HTTP with timeouts, bounded retries with exponential backoff, and Flink-aware errors. */
export class FlinkHttp {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly hint: string | undefined;

  constructor(
    private readonly component: string,
    options: FlinkHttpOptions,
  ) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 250;
    this.hint = options.unreachableHint;
  }

  /**
   * Sends `request` and returns the parsed JSON body (undefined for an empty body); p-retry repeats
   * the failures {@link isTransient} allows, waiting `backoffMs` doubled on every retry.
   */
  async request(request: FlinkRequest): Promise<unknown> {
    return pRetry(() => this.attempt(request), {
      retries: this.retries,
      factor: 2,
      minTimeout: this.backoffMs,
      randomize: false,
      shouldRetry: ({ error }) => isTransient(error, request.retry),
    });
  }

  private async attempt(request: FlinkRequest): Promise<unknown> {
    const url = `${this.baseUrl}${request.path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method: request.method,
        headers: request.body === undefined ? {} : { 'content-type': 'application/json' },
        body: request.body === undefined ? null : JSON.stringify(request.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw this.networkFailure(error);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw this.networkFailure(error);
    }
    const body = parseJson(text);
    if (response.ok) return body;
    const flinkErrors = extractErrors(body, text);
    const rootCause = flinkRootCause(flinkErrors);
    const message = `${this.component} ${request.method} ${request.path} failed with HTTP ${response.status}: ${rootCause}`;
    const ErrorClass =
      response.status === 404 && request.notFound === 'job' ? FlinkJobNotFoundError : FlinkRequestError;
    throw new ErrorClass(message, response.status, flinkErrors, rootCause);
  }

  private networkFailure(error: unknown): FlinkUnreachableError {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    const what = timedOut
      ? `${this.component} did not answer within ${this.timeoutMs} ms at ${this.baseUrl}`
      : `${this.component} not reachable at ${this.baseUrl}`;
    return new FlinkUnreachableError(this.hint ? `${what} — ${this.hint}` : what, this.baseUrl, {
      cause: error,
    });
  }
}

/**
 * Whether a failed attempt may be repeated: `safe` requests on a connection error, a timeout or a
 * 5xx; `unsent-only` requests only when the connection was refused (the request never arrived).
 */
function isTransient(error: Error, retry: FlinkRequest['retry']): boolean {
  if (error instanceof FlinkRequestError) return retry === 'safe' && error.status >= 500;
  if (error instanceof FlinkUnreachableError)
    return retry === 'safe' || networkCode(error) === 'ECONNREFUSED';
  return false;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function extractErrors(body: unknown, text: string): string[] {
  if (typeof body === 'object' && body !== null && Array.isArray((body as { errors?: unknown }).errors)) {
    return (body as { errors: unknown[] }).errors.map(String);
  }
  return text.trim() === '' ? [] : [text.slice(0, 2000)];
}

/** The system error code (ECONNREFUSED, ECONNRESET, ...) undici wraps in `cause`. */
function networkCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
