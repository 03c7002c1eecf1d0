import { z } from '@apphub/platform';
import { FlinkHttp, type FlinkHttpOptions } from './http.js';
import { parseFlinkResponse } from './rest-client.js';

/** How records reach a vertex from one upstream vertex (the job plan's `ship_strategy`). */
export interface JobVertexInput {
  readonly vertexId: string;
  /** `HASH` (keyed exchange), `FORWARD`, `REBALANCE`, ... as Flink names it. */
  readonly shipStrategy: string;
}

/** One job vertex (a chain of operators) with its parallelism and its inputs in the job graph. */
export interface JobVertexTopology {
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;
  /** Key groups of the vertex's keyed state: the upper bound of its parallelism. */
  readonly maxParallelism: number;
  /** Upstream vertices; empty for a source vertex. */
  readonly inputs: readonly JobVertexInput[];
}

/** A job's state, start time and vertices from GET /jobs/{id}. */
export interface JobTopology {
  readonly jobId: string;
  readonly name: string;
  readonly state: string;
  /** Epoch ms at which the job (re)started; a restart in place does not change it. */
  readonly startTime: number;
  /** True when every task of every vertex runs. */
  readonly allTasksRunning: boolean;
  readonly vertices: readonly JobVertexTopology[];
}

/**
 * A metric aggregated over a vertex's subtasks. An aggregate Flink left out, or a value that is
 * not a number (a gauge reporting NaN), is NaN, so a caller sees it and decides nothing on it.
 */
export interface SubtaskMetricAggregate {
  readonly min: number;
  readonly max: number;
  readonly avg: number;
  readonly sum: number;
}

// Flink serializes a NaN gauge as the string "NaN"; it is kept as NaN rather than failing the read.
const metricNumber = z
  .union([z.number(), z.string()])
  .optional()
  .transform((value) => (value === undefined ? Number.NaN : Number(value)));

const aggregatedSchema = z.array(
  z.looseObject({
    id: z.string(),
    min: metricNumber,
    max: metricNumber,
    avg: metricNumber,
    sum: metricNumber,
  }),
);

const metricNamesSchema = z.array(z.looseObject({ id: z.string() }));

const jobDetailsSchema = z.looseObject({
  jid: z.string(),
  name: z.string(),
  state: z.string(),
  'start-time': z.number(),
  vertices: z.array(
    z.looseObject({
      id: z.string(),
      name: z.string(),
      parallelism: z.number(),
      maxParallelism: z.number(),
      tasks: z.record(z.string(), z.number()).optional(),
    }),
  ),
  plan: z.looseObject({
    nodes: z.array(
      z.looseObject({
        id: z.string(),
        inputs: z.array(z.looseObject({ id: z.string(), ship_strategy: z.string().optional() })).optional(),
      }),
    ),
  }),
});

/**
 * Reads what an autoscaler needs from the JobManager REST API (port 8081): a job's vertices with
 * their parallelism, key groups and inputs, and the metrics of a vertex aggregated over its subtasks.
 * Every request is a read, retried on connection errors and 5xx. Flink's web monitor serves metrics
 * it fetched from the TaskManagers at `metrics.fetcher.update-interval` (10 s by default), so a value
 * can be that old.
 */
export class FlinkJobMetricsClient {
  private readonly http: FlinkHttp;

  constructor(options: FlinkHttpOptions) {
    this.http = new FlinkHttp('Flink JobManager REST API', options);
  }

  /** The job's state and vertices; throws FlinkJobNotFoundError when Flink does not know the job. */
  async topology(jobId: string): Promise<JobTopology> {
    const path = `/jobs/${encodeURIComponent(jobId)}`;
    const body = parseFlinkResponse(jobDetailsSchema, await this.get(path), path);
    const inputsOf = new Map(
      body.plan.nodes.map((node) => [
        node.id,
        (node.inputs ?? []).map((input) => ({ vertexId: input.id, shipStrategy: input.ship_strategy ?? '' })),
      ]),
    );
    return {
      jobId: body.jid,
      name: body.name,
      state: body.state,
      startTime: body['start-time'],
      allTasksRunning:
        body.vertices.length > 0 &&
        body.vertices.every((vertex) => vertex.tasks?.RUNNING === vertex.parallelism),
      vertices: body.vertices.map((vertex) => ({
        id: vertex.id,
        name: vertex.name,
        parallelism: vertex.parallelism,
        maxParallelism: vertex.maxParallelism,
        inputs: inputsOf.get(vertex.id) ?? [],
      })),
    };
  }

  /** Names of every metric the vertex's subtasks report (task metrics and `<operator>.<metric>`). */
  async vertexMetricNames(jobId: string, vertexId: string): Promise<string[]> {
    const path = `${vertexPath(jobId, vertexId)}/subtasks/metrics`;
    return parseFlinkResponse(metricNamesSchema, await this.get(path), path).map((metric) => metric.id);
  }

  /**
   * The named metrics aggregated over the vertex's subtasks (min, max, avg, sum); a name no subtask
   * reports is left out of the result.
   */
  async vertexMetrics(
    jobId: string,
    vertexId: string,
    names: readonly string[],
  ): Promise<Map<string, SubtaskMetricAggregate>> {
    if (names.length === 0) return new Map();
    const get = names.map(encodeURIComponent).join(',');
    const path = `${vertexPath(jobId, vertexId)}/subtasks/metrics?get=${get}&agg=min,max,avg,sum`;
    const body = parseFlinkResponse(aggregatedSchema, await this.get(path), path);
    return new Map(
      body.map((metric) => [
        metric.id,
        { min: metric.min, max: metric.max, avg: metric.avg, sum: metric.sum },
      ]),
    );
  }

  private get(path: string): Promise<unknown> {
    return this.http.request({ method: 'GET', path, retry: 'safe' });
  }
}

function vertexPath(jobId: string, vertexId: string): string {
  return `/jobs/${encodeURIComponent(jobId)}/vertices/${encodeURIComponent(vertexId)}`;
}
