import type {
  ClusterOverview,
  FlinkJobMetricsClient,
  JobVertexInput,
  SubtaskMetricAggregate,
} from '@apphub/flink';
import { platform } from '@apphub/platform';

/** A per-subtask time metric of a vertex (ms per second, 0 to 1000): the busiest subtask and the average. */
export interface SubtaskTimeShare {
  readonly max: number;
  readonly avg: number;
}

/** What one job vertex reported, aggregated over its subtasks. NaN: Flink did not report it. */
export interface AutoscaleVertexObservation {
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** Upstream vertices and how records reach this one; empty for a source vertex. */
  readonly inputs: readonly JobVertexInput[];
  /** Time spent processing records (`busyTimeMsPerSecond`), not waiting for input or for downstream. */
  readonly busyTimeMsPerSecond: SubtaskTimeShare;
  /** Time blocked because downstream has no room (`backPressuredTimeMsPerSecond`). */
  readonly backPressuredTimeMsPerSecond: SubtaskTimeShare;
  /** Time waiting for input (`idleTimeMsPerSecond`). */
  readonly idleTimeMsPerSecond: SubtaskTimeShare;
  /**
   * Records per second into the vertex, summed over its subtasks: the task's `numRecordsInPerSecond`,
   * or for a source vertex what its source operators read (their `numRecordsInPerSecond`, else
   * `numRecordsOutPerSecond`: a source task receives nothing over the network).
   */
  readonly recordsInPerSecond: number;
  /** Records per second the vertex emits (`numRecordsOutPerSecond`, summed). */
  readonly recordsOutPerSecond: number;
  /**
   * Records the vertex's sources have not read yet (FLIP-33 `<operator>.pendingRecords`, summed);
   * undefined for a vertex without a source, or a source that has not fetched anything yet.
   */
  readonly pendingRecords: number | undefined;
  /** Partitions the vertex's Kafka sources read (from their offset metrics); undefined when unknown. */
  readonly sourcePartitions: number | undefined;
}

/** One look at a running job and the cluster, everything {@link decideAutoscale} needs. */
export interface AutoscaleObservation {
  readonly jobName: string;
  readonly jobId: string;
  /** Epoch ms of the observation. */
  readonly observedAt: number;
  readonly job: {
    readonly state: string;
    /** Epoch ms at which the job (re)started. */
    readonly startTime: number;
    readonly allTasksRunning: boolean;
  };
  readonly vertices: readonly AutoscaleVertexObservation[];
  readonly cluster: {
    readonly taskManagers: number;
    readonly slotsTotal: number;
    readonly slotsAvailable: number;
    readonly slotsPerTaskManager: number;
    /** Most TaskManagers the environment may run (the TaskManager scaler's bounds). */
    readonly maxTaskManagers: number;
  };
}

/** Task metrics read from every vertex. */
export const taskMetricNames = [
  'busyTimeMsPerSecond',
  'backPressuredTimeMsPerSecond',
  'idleTimeMsPerSecond',
  'numRecordsInPerSecond',
  'numRecordsOutPerSecond',
] as const;

/** Operator metrics of a vertex's sources, chosen from the names the vertex reports. */
export function sourceMetricNames(names: readonly string[]): {
  readonly recordsIn: string[];
  readonly recordsOut: string[];
  readonly pendingRecords: string[];
  readonly partitions: number | undefined;
} {
  // Operator metrics are `<operator name>.<metric>`, with the name's ": " written "__" (Source: x -> Source__x).
  const ofSources = (suffix: string) =>
    names.filter((name) => name.startsWith('Source__') && name.endsWith(`.${suffix}`));
  const partitions = new Set(
    names.flatMap((name) => {
      const match = /\.KafkaSourceReader\.topic\.(.+)\.partition\.(\d+)\.currentOffset$/.exec(name);
      return match ? [`${match[1]}/${match[2]}`] : [];
    }),
  );
  return {
    recordsIn: ofSources('numRecordsInPerSecond'),
    recordsOut: ofSources('numRecordsOutPerSecond'),
    pendingRecords: names.filter((name) => name.endsWith('.pendingRecords')),
    partitions: partitions.size > 0 ? partitions.size : undefined,
  };
}

/** The clients an observation reads through. */
export interface AutoscaleObserveClients {
  readonly rest: { overview(): Promise<ClusterOverview> };
  readonly metrics: Pick<FlinkJobMetricsClient, 'topology' | 'vertexMetricNames' | 'vertexMetrics'>;
}

/**
 * Observes one job for the autoscaler: its vertices (parallelism, key groups, inputs) from
 * GET /jobs/{id}, each vertex's busy, backpressured and idle time, record rates and its sources'
 * pending records from GET /jobs/{id}/vertices/{v}/subtasks/metrics, and the slots from GET /overview.
 * Reads only; a metric Flink does not report is NaN (or undefined for pending records).
 */
export async function observeAutoscale(
  clients: AutoscaleObserveClients,
  target: {
    readonly jobName: string;
    readonly jobId: string;
    readonly maxTaskManagers: number;
    readonly slotsPerTaskManager?: number;
    readonly now: () => number;
  },
): Promise<AutoscaleObservation> {
  const [topology, overview] = await Promise.all([
    clients.metrics.topology(target.jobId),
    clients.rest.overview(),
  ]);
  const vertices: AutoscaleVertexObservation[] = [];
  for (const vertex of topology.vertices) {
    const source = vertex.inputs.length === 0;
    const sourceNames = source
      ? sourceMetricNames(await clients.metrics.vertexMetricNames(target.jobId, vertex.id))
      : { recordsIn: [], recordsOut: [], pendingRecords: [], partitions: undefined };
    const metrics = await clients.metrics.vertexMetrics(target.jobId, vertex.id, [
      ...taskMetricNames,
      ...sourceNames.recordsIn,
      ...sourceNames.recordsOut,
      ...sourceNames.pendingRecords,
    ]);
    const sum = (names: readonly string[]) =>
      names.length === 0
        ? Number.NaN
        : names.reduce((total, name) => total + (metrics.get(name)?.sum ?? Number.NaN), 0);
    const share = (name: string): SubtaskTimeShare => ({
      max: metrics.get(name)?.max ?? Number.NaN,
      avg: metrics.get(name)?.avg ?? Number.NaN,
    });
    const sourceIn = sum(sourceNames.recordsIn);
    const sourceOut = sum(sourceNames.recordsOut);
    const pending = sum(sourceNames.pendingRecords);
    vertices.push({
      id: vertex.id,
      name: vertex.name,
      parallelism: vertex.parallelism,
      maxParallelism: vertex.maxParallelism,
      inputs: vertex.inputs,
      busyTimeMsPerSecond: share('busyTimeMsPerSecond'),
      backPressuredTimeMsPerSecond: share('backPressuredTimeMsPerSecond'),
      idleTimeMsPerSecond: share('idleTimeMsPerSecond'),
      recordsInPerSecond: source
        ? firstPositive(sourceIn, sourceOut, metricSum(metrics.get('numRecordsInPerSecond')))
        : metricSum(metrics.get('numRecordsInPerSecond')),
      recordsOutPerSecond: metricSum(metrics.get('numRecordsOutPerSecond')),
      pendingRecords: Number.isNaN(pending) ? undefined : pending,
      sourcePartitions: sourceNames.partitions,
    });
  }
  return {
    jobName: target.jobName,
    jobId: target.jobId,
    observedAt: target.now(),
    job: { state: topology.state, startTime: topology.startTime, allTasksRunning: topology.allTasksRunning },
    vertices,
    cluster: {
      taskManagers: overview.taskManagers,
      slotsTotal: overview.slotsTotal,
      slotsAvailable: overview.slotsAvailable,
      slotsPerTaskManager: target.slotsPerTaskManager ?? platform.flink.taskSlots,
      maxTaskManagers: target.maxTaskManagers,
    },
  };
}

function metricSum(metric: SubtaskMetricAggregate | undefined): number {
  return metric?.sum ?? Number.NaN;
}

/** The first of the rates that is above zero, else the first that is a number (0), else NaN. */
function firstPositive(...rates: number[]): number {
  return rates.find((rate) => rate > 0) ?? rates.find((rate) => !Number.isNaN(rate)) ?? Number.NaN;
}
