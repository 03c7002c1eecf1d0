import { z } from '@apphub/platform';
import { FlinkError, FlinkRequestError, FlinkSqlError } from './errors.js';
import { FlinkHttp, type FlinkHttpOptions, sleep } from './http.js';
import { parseFlinkResponse } from './rest-client.js';

/** Options of {@link SqlGatewayClient}. */
export interface SqlGatewayClientOptions extends FlinkHttpOptions {
  /** REST API version prefix; v2 and later support `rowFormat=JSON`. Default v2. */
  readonly apiVersion?: 'v2' | 'v3' | 'v4';
  /** How long one statement may run before the client gives up. Default 180,000 ms. */
  readonly operationTimeoutMs?: number;
  /** Delay between operation status polls. Default 250 ms. */
  readonly pollMs?: number;
}

/** A SQL Gateway session. */
export interface SqlSession {
  readonly handle: string;
}

/** A statement submitted in a session. */
export interface SqlOperation {
  readonly session: SqlSession;
  readonly handle: string;
  readonly statement: string;
}

/** Everything a finished statement returned. */
export interface SqlStatementResult {
  readonly statement: string;
  readonly resultKind: string | undefined;
  /** Set when the statement submitted a Flink job (INSERT, STATEMENT SET). */
  readonly jobId: string | undefined;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

/** What {@link SqlGatewayClient.runStatements} submitted. */
export interface SqlSubmission {
  readonly jobId: string;
  readonly results: readonly SqlStatementResult[];
}

const terminalStates = new Set(['FINISHED', 'ERROR', 'CANCELED', 'CLOSED', 'TIMEOUT']);

const resultSchema = z.looseObject({
  resultType: z.enum(['NOT_READY', 'PAYLOAD', 'EOS']),
  resultKind: z.string().optional(),
  jobID: z.string().nullish(),
  nextResultUri: z.string().nullish(),
  results: z
    .looseObject({
      columns: z.array(z.looseObject({ name: z.string() })).optional(),
      columnInfos: z.array(z.looseObject({ name: z.string() })).optional(),
      data: z.array(z.looseObject({ fields: z.array(z.unknown()) })).optional(),
    })
    .optional(),
});

/**
 * Typed client of the Flink SQL Gateway REST API. Statements are sent once (a retried INSERT would
 * start a second job); status polls and result fetches retry on connection errors and 5xx.
 */
export class SqlGatewayClient {
  private readonly http: FlinkHttp;
  private readonly version: string;
  private readonly operationTimeoutMs: number;
  private readonly pollMs: number;

  constructor(options: SqlGatewayClientOptions) {
    this.http = new FlinkHttp('SQL Gateway', options);
    this.version = options.apiVersion ?? 'v2';
    this.operationTimeoutMs = options.operationTimeoutMs ?? 180_000;
    this.pollMs = options.pollMs ?? 250;
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Opens a session; `properties` are session configuration (e.g. checkpoint interval). */
  async openSession(
    properties: Readonly<Record<string, string>> = {},
    sessionName?: string,
  ): Promise<SqlSession> {
    const body = await this.http.request({
      method: 'POST',
      path: `/${this.version}/sessions`,
      body: { properties, ...(sessionName ? { sessionName } : {}) },
      retry: 'unsent-only',
    });
    return {
      handle: parseFlinkResponse(z.looseObject({ sessionHandle: z.string() }), body, 'open session')
        .sessionHandle,
    };
  }

  /** Closes a session; closing an unknown or already closed session is not an error. */
  async closeSession(session: SqlSession): Promise<void> {
    try {
      await this.http.request({ method: 'DELETE', path: this.sessionPath(session), retry: 'safe' });
    } catch (error) {
      if (!(error instanceof FlinkRequestError && error.status < 500)) throw error;
    }
  }

  /** Submits one statement; it runs asynchronously in the gateway. */
  async executeStatement(session: SqlSession, statement: string): Promise<SqlOperation> {
    const body = await this.http.request({
      method: 'POST',
      path: `${this.sessionPath(session)}/statements`,
      body: { statement },
      retry: 'unsent-only',
    });
    const handle = parseFlinkResponse(
      z.looseObject({ operationHandle: z.string() }),
      body,
      'statement',
    ).operationHandle;
    return { session, handle, statement };
  }

  /** Current status of an operation: INITIALIZED, PENDING, RUNNING, FINISHED, ERROR, ... */
  async operationStatus(operation: SqlOperation): Promise<string> {
    const body = await this.http.request({
      method: 'GET',
      path: `${this.operationPath(operation)}/status`,
      retry: 'safe',
    });
    return parseFlinkResponse(z.looseObject({ status: z.string() }), body, 'operation status').status;
  }

  /**
   * Waits until the operation leaves its running states, then returns all its results. A failed
   * statement throws FlinkSqlError whose message is Flink's root cause.
   */
  async waitForOperation(operation: SqlOperation): Promise<SqlStatementResult> {
    const deadline = Date.now() + this.operationTimeoutMs;
    for (;;) {
      const status = await this.operationStatus(operation);
      if (terminalStates.has(status)) {
        if (status === 'FINISHED' || status === 'ERROR') return this.fetchResults(operation);
        throw new FlinkSqlError(
          `Statement ended in state ${status}: ${abbreviate(operation.statement)}`,
          operation.statement,
        );
      }
      if (Date.now() >= deadline) {
        throw new FlinkSqlError(
          `Statement did not finish within ${this.operationTimeoutMs} ms (state ${status}): ${abbreviate(operation.statement)}`,
          operation.statement,
        );
      }
      await sleep(this.pollMs);
    }
  }

  /** Fetches every result page (following nextResultUri until EOS) with rowFormat=JSON. */
  async fetchResults(operation: SqlOperation): Promise<SqlStatementResult> {
    let path: string | undefined = `${this.operationPath(operation)}/result/0?rowFormat=JSON`;
    let columns: string[] = [];
    const rows: unknown[][] = [];
    let jobId: string | undefined;
    let resultKind: string | undefined;
    const deadline = Date.now() + this.operationTimeoutMs;
    while (path) {
      let body: unknown;
      try {
        // A failed operation answers 500 with its exception chain; repeating the fetch cannot help.
        body = await this.http.request({ method: 'GET', path, retry: 'unsent-only' });
      } catch (error) {
        if (error instanceof FlinkRequestError) {
          throw new FlinkSqlError(error.rootCause, operation.statement, { cause: error });
        }
        throw error;
      }
      const page = parseFlinkResponse(resultSchema, body, 'statement result');
      jobId = page.jobID ?? jobId;
      resultKind = page.resultKind ?? resultKind;
      const pageColumns = page.results?.columns ?? page.results?.columnInfos;
      if (pageColumns && pageColumns.length > 0) columns = pageColumns.map((column) => column.name);
      for (const row of page.results?.data ?? []) rows.push(row.fields);
      if (page.resultType === 'EOS') break;
      if (page.resultType === 'NOT_READY') {
        if (Date.now() >= deadline) {
          throw new FlinkSqlError(
            `Statement results not ready within ${this.operationTimeoutMs} ms`,
            operation.statement,
          );
        }
        await sleep(this.pollMs);
      }
      path = page.nextResultUri ?? undefined;
    }
    const jobIdColumn = columns.indexOf('job id');
    if (!jobId && jobIdColumn >= 0 && rows[0]) jobId = String(rows[0][jobIdColumn]);
    return { statement: operation.statement, resultKind, jobId, columns, rows };
  }

  /** Submits one statement and waits for its results. */
  async runStatement(session: SqlSession, statement: string): Promise<SqlStatementResult> {
    return this.waitForOperation(await this.executeStatement(session, statement));
  }

  /**
   * Runs a script's statements in order in a fresh session (SET and CREATE first, then the INSERT
   * or STATEMENT SET) and returns the submitted job's id. The session is closed afterwards; the job
   * keeps running in the cluster.
   */
  async runStatements(
    statements: readonly string[],
    options: { sessionProperties?: Readonly<Record<string, string>> | undefined; sessionName?: string } = {},
  ): Promise<SqlSubmission> {
    if (statements.length === 0) throw new FlinkError('No SQL statements to run');
    const session = await this.openSession(options.sessionProperties, options.sessionName);
    try {
      const results: SqlStatementResult[] = [];
      for (const statement of statements) results.push(await this.runStatement(session, statement));
      const jobIds = results.flatMap((result) => (result.jobId ? [result.jobId] : []));
      if (jobIds.length === 0) {
        throw new FlinkSqlError(
          'The SQL script submitted no job (it has no INSERT or STATEMENT SET)',
          statements.join(';\n'),
        );
      }
      if (jobIds.length > 1) {
        throw new FlinkSqlError(
          `The SQL script submitted ${jobIds.length} jobs (${jobIds.join(', ')}); use one STATEMENT SET per managed job`,
          statements.join(';\n'),
        );
      }
      return { jobId: jobIds[0]!, results };
    } finally {
      await this.closeSession(session).catch(() => undefined);
    }
  }

  private sessionPath(session: SqlSession): string {
    return `/${this.version}/sessions/${encodeURIComponent(session.handle)}`;
  }

  private operationPath(operation: SqlOperation): string {
    return `${this.sessionPath(operation.session)}/operations/${encodeURIComponent(operation.handle)}`;
  }
}

function abbreviate(statement: string): string {
  const oneLine = statement.replace(/\s+/g, ' ').trim();
  return oneLine.length > 80 ? `${oneLine.slice(0, 77)}...` : oneLine;
}
