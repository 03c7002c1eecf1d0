import { z } from '@apphub/platform';
import {
  FlinkRequestError,
  FlinkResponseInvalidError,
  FlinkSavepointError,
  FlinkSavepointTimeoutError,
} from './errors.js';
import { FlinkHttp, type FlinkHttpOptions, sleep } from './http.js';
import { flinkRootCause } from './root-cause.js';

/**
 * Flink's job states (`org.apache.flink.api.common.JobStatus` of Flink 2.2), as the REST API reports
 * them in `state`; a state outside this list fails the response's parse (a Flink version mismatch).
 */
export const flinkJobStateSchema = z.enum([
  'INITIALIZING',
  'CREATED',
  'RUNNING',
  'FAILING',
  'FAILED',
  'CANCELLING',
  'CANCELED',
  'FINISHED',
  'RESTARTING',
  'SUSPENDED',
  'RECONCILING',
]);

/** One of Flink's job states. */
export type FlinkJobState = z.output<typeof flinkJobStateSchema>;

/**
 * True when the JobManager that reports `state` will never run the job again: FINISHED, CANCELED and
 * FAILED (Flink's globally terminal states) and SUSPENDED (locally terminal: this JobManager stopped
 * it, e.g. on losing leadership; with HA another one recovers it under the same id, in a state that
 * is not terminal). This is Flink's `JobStatus.isTerminalState()`. A job in any other state is alive.
 */
export function isTerminal(state: FlinkJobState): boolean {
  return state === 'FINISHED' || state === 'CANCELED' || state === 'FAILED' || state === 'SUSPENDED';
}

/** Cluster summary from GET /overview. */
export interface ClusterOverview {
  readonly flinkVersion: string;
  readonly taskManagers: number;
  readonly slotsTotal: number;
  readonly slotsAvailable: number;
  readonly jobsRunning: number;
  readonly jobsFailed: number;
}

/** One job from GET /jobs/overview or GET /jobs/{id}. */
export interface FlinkJob {
  readonly id: string;
  readonly name: string;
  readonly state: FlinkJobState;
  readonly startTime: number;
  /** -1 while the job runs. */
  readonly endTime: number;
  /** True when every task runs: a RUNNING job may still be deploying tasks, and cannot checkpoint yet. */
  readonly allTasksRunning: boolean;
  /**
   * The largest parallelism of the job's vertices, i.e. the slots it takes with Flink's default slot
   * sharing. Only GET /jobs/{id} reports it; undefined from the jobs overview.
   */
  readonly parallelism: number | undefined;
}

/** A completed checkpoint or savepoint as Flink reports it. */
export interface CompletedCheckpoint {
  readonly id: number;
  readonly externalPath: string;
  /** Epoch milliseconds of the last acknowledgement. */
  readonly completedAt: number;
  readonly isSavepoint: boolean;
}

/** Checkpoint statistics of a job from GET /jobs/{id}/checkpoints. */
export interface CheckpointStats {
  readonly completed: number;
  readonly failed: number;
  readonly inProgress: number;
  readonly restored: number;
  readonly latestCompleted: CompletedCheckpoint | undefined;
  readonly latestSavepoint: CompletedCheckpoint | undefined;
  readonly latestFailedAt: number | undefined;
}

/** Progress of an asynchronous savepoint or stop-with-savepoint. */
export type SavepointStatus =
  | { readonly state: 'IN_PROGRESS' }
  | { readonly state: 'COMPLETED'; readonly location: string }
  | { readonly state: 'FAILED'; readonly failureCause: string };

/** A TaskManager registered with the JobManager. */
export interface TaskManagerInfo {
  readonly id: string;
  readonly slots: number;
  readonly freeSlots: number;
  readonly lastHeartbeat: number;
}

const overviewSchema = z.looseObject({
  'flink-version': z.string(),
  taskmanagers: z.number(),
  'slots-total': z.number(),
  'slots-available': z.number(),
  'jobs-running': z.number(),
  'jobs-failed': z.number(),
});

const jobSchema = z.looseObject({
  jid: z.string(),
  name: z.string(),
  state: flinkJobStateSchema,
  'start-time': z.number(),
  'end-time': z.number(),
  // /jobs/overview counts tasks per state; /jobs/{id} lists vertices with their status.
  tasks: z.record(z.string(), z.number()).optional(),
  vertices: z
    .array(
      z.looseObject({
        id: z.string().optional(),
        parallelism: z.number(),
        tasks: z.record(z.string(), z.number()).optional(),
      }),
    )
    .optional(),
});

/** GET .../subtasks/metrics?get=<name>&agg=sum answers one entry per metric found. */
const aggregatedMetricsSchema = z.array(z.looseObject({ id: z.string(), sum: z.number().optional() }));

const checkpointSchema = z
  .looseObject({
    id: z.number(),
    external_path: z.string().optional(),
    latest_ack_timestamp: z.number().optional(),
    is_savepoint: z.boolean().optional(),
  })
  .nullish();

const checkpointsSchema = z.looseObject({
  counts: z.looseObject({
    restored: z.number(),
    total: z.number(),
    in_progress: z.number(),
    completed: z.number(),
    failed: z.number(),
  }),
  latest: z.looseObject({
    completed: checkpointSchema,
    savepoint: checkpointSchema,
    failed: z.looseObject({ failure_timestamp: z.number().optional() }).nullish(),
  }),
});

const triggerSchema = z.looseObject({ 'request-id': z.string() });

const savepointStatusSchema = z.looseObject({
  status: z.looseObject({ id: z.string() }),
  operation: z
    .looseObject({
      location: z.string().nullish(),
      'failure-cause': z
        .looseObject({ 'stack-trace': z.string().optional(), 'serialized-throwable': z.unknown() })
        .nullish(),
    })
    .nullish(),
});

const taskManagersSchema = z.looseObject({
  taskmanagers: z.array(
    z.looseObject({
      id: z.string(),
      slotsNumber: z.number(),
      freeSlots: z.number(),
      timeSinceLastHeartbeat: z.number(),
    }),
  ),
});

const metricsSchema = z.array(z.looseObject({ id: z.string(), value: z.string() }));

/** Options of {@link FlinkRestClient}. */
export interface FlinkRestClientOptions extends FlinkHttpOptions {}

/**
 * Per-request timeout of a health probe: a JobManager that has not answered within it counts as
 * down, so a status table of many probes stays quick.
 */
export const FLINK_PROBE_TIMEOUT_MS = 3_000;

/**
 * Typed client of the JobManager REST API (port 8081). Reads retry on connection errors and 5xx;
 * writes that start work (savepoint, stop) retry only when the request never reached Flink.
 */
export class FlinkRestClient {
  private readonly http: FlinkHttp;

  constructor(options: FlinkRestClientOptions) {
    this.http = new FlinkHttp('Flink JobManager REST API', options);
  }

  /**
   * A client for health probes: one attempt per request (no retries, no backoff) within
   * {@link FLINK_PROBE_TIMEOUT_MS}; the probe reports what it got, the next probe asks again.
   */
  static forHealthProbes(baseUrl: string): FlinkRestClient {
    return new FlinkRestClient({ baseUrl, timeoutMs: FLINK_PROBE_TIMEOUT_MS, retries: 0 });
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** Cluster summary: version, TaskManagers, slots, job counts. */
  async overview(): Promise<ClusterOverview> {
    const body = parse(overviewSchema, await this.get('/overview'), 'GET /overview');
    return {
      flinkVersion: body['flink-version'],
      taskManagers: body.taskmanagers,
      slotsTotal: body['slots-total'],
      slotsAvailable: body['slots-available'],
      jobsRunning: body['jobs-running'],
      jobsFailed: body['jobs-failed'],
    };
  }

  /** Every job the JobManager knows (running and recently terminated). */
  async jobs(): Promise<FlinkJob[]> {
    const body = parse(z.looseObject({ jobs: z.array(jobSchema) }), await this.get('/jobs/overview'), 'jobs');
    return body.jobs.map(toJob);
  }

  /** One job; throws FlinkJobNotFoundError when Flink does not know it. */
  async job(jobId: string): Promise<FlinkJob> {
    const path = `/jobs/${encodeURIComponent(jobId)}`;
    return toJob(parse(jobSchema, await this.get(path, 'job'), `job ${jobId}`));
  }

  /**
   * The time every subtask of the job spent busy (Flink's `accumulateBusyTimeMs`, summed over all
   * subtasks of all vertices), in ms: the job's CPU cost independent of how long it waited for input.
   * Metrics reach the REST API at the JobManager's metric fetch interval, so a fresh value can lag.
   */
  async accumulatedBusyTimeMs(jobId: string): Promise<number> {
    const id = encodeURIComponent(jobId);
    const job = parse(jobSchema, await this.get(`/jobs/${id}`, 'job'), `job ${jobId}`);
    let total = 0;
    for (const vertex of job.vertices ?? []) {
      if (!vertex.id) continue;
      const path = `/jobs/${id}/vertices/${vertex.id}/subtasks/metrics?get=accumulateBusyTimeMs&agg=sum`;
      const metrics = parse(aggregatedMetricsSchema, await this.get(path), path);
      total += metrics.find((metric) => metric.id === 'accumulateBusyTimeMs')?.sum ?? 0;
    }
    return total;
  }

  /** Checkpoint counts and the latest completed checkpoint and savepoint of a job. */
  async checkpoints(jobId: string): Promise<CheckpointStats> {
    const path = `/jobs/${encodeURIComponent(jobId)}/checkpoints`;
    const body = parse(checkpointsSchema, await this.get(path, 'job'), path);
    return {
      completed: body.counts.completed,
      failed: body.counts.failed,
      inProgress: body.counts.in_progress,
      restored: body.counts.restored,
      latestCompleted: toCheckpoint(body.latest.completed),
      latestSavepoint: toCheckpoint(body.latest.savepoint),
      latestFailedAt: body.latest.failed?.failure_timestamp,
    };
  }

  /** Values of job metrics such as `numRestarts`; metrics Flink does not have are left out. */
  async jobMetrics(jobId: string, names: readonly string[]): Promise<Record<string, number>> {
    const path = `/jobs/${encodeURIComponent(jobId)}/metrics?get=${names.map(encodeURIComponent).join(',')}`;
    const body = parse(metricsSchema, await this.get(path), path);
    return Object.fromEntries(body.map((metric) => [metric.id, Number(metric.value)]));
  }

  /** TaskManagers registered with the JobManager. */
  async taskManagers(): Promise<TaskManagerInfo[]> {
    const body = parse(taskManagersSchema, await this.get('/taskmanagers'), 'GET /taskmanagers');
    return body.taskmanagers.map((tm) => ({
      id: tm.id,
      slots: tm.slotsNumber,
      freeSlots: tm.freeSlots,
      lastHeartbeat: tm.timeSinceLastHeartbeat,
    }));
  }

  /** The JobManager's effective configuration as key/value pairs. */
  async jobManagerConfig(): Promise<Record<string, string>> {
    const body = parse(
      z.array(z.looseObject({ key: z.string(), value: z.string() })),
      await this.get('/jobmanager/config'),
      'GET /jobmanager/config',
    );
    return Object.fromEntries(body.map((entry) => [entry.key, entry.value]));
  }

  /** Starts a savepoint into `targetDirectory`; returns the trigger id to poll. */
  async triggerSavepoint(jobId: string, targetDirectory: string): Promise<string> {
    const body = await this.http.request({
      method: 'POST',
      path: `/jobs/${encodeURIComponent(jobId)}/savepoints`,
      body: { 'target-directory': targetDirectory, 'cancel-job': false, formatType: 'CANONICAL' },
      retry: 'unsent-only',
    });
    return parse(triggerSchema, body, 'savepoint trigger')['request-id'];
  }

  /** Status of a savepoint or stop-with-savepoint started with the given trigger id. */
  async savepointStatus(jobId: string, triggerId: string): Promise<SavepointStatus> {
    const path = `/jobs/${encodeURIComponent(jobId)}/savepoints/${encodeURIComponent(triggerId)}`;
    const body = parse(savepointStatusSchema, await this.get(path), path);
    if (body.status.id !== 'COMPLETED') return { state: 'IN_PROGRESS' };
    const failure = body.operation?.['failure-cause'];
    // COMPLETED only means the asynchronous operation ended; it can still carry a failure.
    if (failure) {
      return { state: 'FAILED', failureCause: flinkRootCause([failure['stack-trace'] ?? '']) };
    }
    const location = body.operation?.location;
    if (!location) return { state: 'FAILED', failureCause: 'Flink reported no savepoint location' };
    return { state: 'COMPLETED', location };
  }

  /**
   * Polls a savepoint until it completes and returns its location; throws FlinkSavepointError when
   * Flink reports a failure, FlinkSavepointTimeoutError when `timeoutMs` passes (the savepoint may
   * still finish later).
   */
  async waitForSavepoint(
    jobId: string,
    triggerId: string,
    options: { timeoutMs?: number; pollMs?: number } = {},
  ): Promise<string> {
    const deadline = Date.now() + (options.timeoutMs ?? 120_000);
    for (;;) {
      const status = await this.savepointStatus(jobId, triggerId);
      if (status.state === 'COMPLETED') return status.location;
      if (status.state === 'FAILED') {
        throw new FlinkSavepointError(`Savepoint of job ${jobId} failed: ${status.failureCause}`);
      }
      if (Date.now() >= deadline) {
        throw new FlinkSavepointTimeoutError(
          `Savepoint of job ${jobId} (trigger ${triggerId}) did not complete within ${options.timeoutMs ?? 120_000} ms`,
        );
      }
      await sleep(options.pollMs ?? 500);
    }
  }

  /** Stops a job with a final savepoint (drain: emit all windows first); returns the trigger id. */
  async stopWithSavepoint(jobId: string, targetDirectory: string, drain = false): Promise<string> {
    const body = await this.http.request({
      method: 'POST',
      path: `/jobs/${encodeURIComponent(jobId)}/stop`,
      body: { targetDirectory, drain, formatType: 'CANONICAL' },
      retry: 'unsent-only',
    });
    return parse(triggerSchema, body, 'stop-with-savepoint trigger')['request-id'];
  }

  /** Cancels a job without a savepoint; cancelling twice is harmless. */
  async cancel(jobId: string): Promise<void> {
    try {
      await this.http.request({
        method: 'PATCH',
        path: `/jobs/${encodeURIComponent(jobId)}?mode=cancel`,
        retry: 'safe',
        notFound: 'job',
      });
    } catch (error) {
      // 409: the job already reached a terminal state, which is what cancelling wants.
      if (!(error instanceof FlinkRequestError && error.status === 409)) throw error;
    }
  }

  /** A read; `notFound: 'job'` when `path` is one job's resource (see FlinkRequest). */
  private get(path: string, notFound?: 'job'): Promise<unknown> {
    return this.http.request({ method: 'GET', path, retry: 'safe', ...(notFound ? { notFound } : {}) });
  }
}

function toJob(job: z.output<typeof jobSchema>): FlinkJob {
  const vertices = job.vertices ?? [];
  const allTasksRunning = job.tasks
    ? (job.tasks.total ?? 0) > 0 && job.tasks.running === job.tasks.total
    : vertices.length > 0 && vertices.every((vertex) => vertex.tasks?.RUNNING === vertex.parallelism);
  return {
    id: job.jid,
    name: job.name,
    state: job.state,
    startTime: job['start-time'],
    endTime: job['end-time'],
    allTasksRunning,
    parallelism: vertices.length > 0 ? Math.max(...vertices.map((vertex) => vertex.parallelism)) : undefined,
  };
}

function toCheckpoint(checkpoint: z.output<typeof checkpointSchema>): CompletedCheckpoint | undefined {
  if (!checkpoint?.external_path || checkpoint.external_path === '<checkpoint-not-externally-addressable>') {
    return undefined;
  }
  return {
    id: checkpoint.id,
    externalPath: checkpoint.external_path,
    completedAt: checkpoint.latest_ack_timestamp ?? 0,
    isSavepoint: checkpoint.is_savepoint ?? false,
  };
}

function parse<T extends z.ZodType>(schema: T, body: unknown, what: string): z.output<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new FlinkResponseInvalidError(
    `Unexpected Flink response for ${what}: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid'}`,
    { cause: result.error },
  );
}

export { parse as parseFlinkResponse };
