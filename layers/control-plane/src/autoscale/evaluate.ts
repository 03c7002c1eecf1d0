import { alignToKeyGroups, greatestCommonDivisor } from './alignment.js';
import type { AutoscaleObservation, AutoscaleVertexObservation } from './observation.js';
import type {
  AutoscaleDecisionRecord,
  AutoscaleInputs,
  AutoscaleReason,
  AutoscaleVertexEvaluation,
} from './records.js';
import type { AutoscaleSettings } from './settings.js';

/** One observation turned into rates and parallelisms, before any rule over time is applied. */
export interface AutoscaleEvaluation {
  readonly inputs: AutoscaleInputs;
  /** Set when no parallelism can be computed from this observation (missing metrics, unknown rate). */
  readonly problem: AutoscaleReason | undefined;
  /** Bounds or alignment that changed the requirement. */
  readonly notes: readonly AutoscaleReason[];
}

/**
 * Computes, from one observation, each vertex's true processing rate (records in per second divided
 * by its busy share: what it could do busy all the time), the rate it must process (input plus the
 * backlog over the catch-up time, propagated downstream along the observed output ratios) and the
 * parallelism that keeps it at the target utilization, then the job's parallelism: the largest a
 * vertex asks for, within the bounds and slots, key-group aligned. Busy time excludes backpressured
 * and idle time, so a vertex held up by its downstream asks for nothing.
 */
export function evaluateAutoscale(
  observation: AutoscaleObservation,
  previous: AutoscaleDecisionRecord | undefined,
  settings: AutoscaleSettings,
): AutoscaleEvaluation {
  const { cluster } = observation;
  const current = Math.max(0, ...observation.vertices.map((vertex) => vertex.parallelism));
  const slotsEach = cluster.slotsPerTaskManager;
  const slotsOfOthers = Math.max(0, cluster.slotsTotal - cluster.slotsAvailable - current);
  const slotParallelism = Math.max(0, cluster.maxTaskManagers * slotsEach - slotsOfOthers);
  const keyed = (vertex: AutoscaleVertexObservation) =>
    vertex.inputs.some((input) => input.shipStrategy === 'HASH');
  const keyGroups = greatestCommonDivisor(
    observation.vertices.filter(keyed).map((vertex) => vertex.maxParallelism),
  );
  const upper = Math.min(
    settings.maxParallelism,
    slotParallelism,
    ...observation.vertices.map((vertex) => vertex.maxParallelism),
  );
  const lower = settings.minParallelism;
  const elapsedSeconds = previous
    ? (observation.observedAt - Date.parse(previous.inputs.observedAt)) / 1000
    : 0;
  const holds: AutoscaleReason[] = [];
  const previousPending = new Map(
    (previous?.inputs.vertices ?? []).map((vertex) => [vertex.vertexId, vertex.pendingRecords]),
  );

  const byId = new Map(observation.vertices.map((vertex) => [vertex.id, vertex]));
  const targetRates = new Map<string, number>();
  const evaluations: AutoscaleVertexEvaluation[] = [];
  let problem: AutoscaleReason | undefined;
  for (const vertex of topologicalOrder(observation.vertices)) {
    const busyRatio = Math.min(1, vertex.busyTimeMsPerSecond[settings.busyTimeAggregate] / 1000);
    const recordsIn = vertex.recordsInPerSecond;
    const source = vertex.inputs.length === 0;
    const pending = vertex.pendingRecords;
    const base = {
      vertexId: vertex.id,
      name: vertex.name,
      parallelism: vertex.parallelism,
      maxParallelism: vertex.maxParallelism,
      source,
      keyed: keyed(vertex),
      busyRatio: finite(busyRatio),
      backPressuredRatio: finite(vertex.backPressuredTimeMsPerSecond.max / 1000),
      idleRatio: finite(vertex.idleTimeMsPerSecond.avg / 1000),
      recordsInPerSecond: finite(recordsIn),
      recordsOutPerSecond: finite(vertex.recordsOutPerSecond),
      pendingRecords: pending,
      sourcePartitions: vertex.sourcePartitions,
    };
    const missing = [
      Number.isFinite(busyRatio) ? undefined : 'busyTimeMsPerSecond',
      Number.isFinite(recordsIn) ? undefined : 'records in per second',
    ].filter((name) => name !== undefined);
    if (missing.length > 0) {
      problem ??= {
        code: 'metrics-missing',
        detail: `vertex ${vertex.name} reports no ${missing.join(' and no ')}`,
      };
      evaluations.push(base);
      continue;
    }

    // Records read per second. While a source's rate meters still show nothing (they lag behind a
    // job that just started), the rate its backlog fell since the previous observation: it read at least that.
    const backlog = pending ?? 0;
    const before = previousPending.get(vertex.id);
    const backlogChange =
      source && before !== undefined && elapsedSeconds > 0 ? (backlog - before) / elapsedSeconds : undefined;
    const lagFall = recordsIn === 0 && backlog > 0 && backlogChange !== undefined ? -backlogChange : 0;
    const observedRate = lagFall > 0 ? lagFall : recordsIn;

    let targetRate: number;
    if (source) {
      // A growing backlog means records arrive faster than they are read: the arrival rate is both.
      const arrival = Math.max(0, observedRate + (backlogChange ?? 0));
      const catchUp =
        settings.catchUpSeconds > 0
          ? (backlog + arrival * settings.restartSeconds) / settings.catchUpSeconds
          : 0;
      targetRate = arrival + catchUp;
    } else {
      targetRate = vertex.inputs.reduce((sum, input) => {
        const upstream = byId.get(input.vertexId);
        const upstreamIn = upstream?.recordsInPerSecond ?? 0;
        // Along one edge: what this vertex receives when the edge is its only input, else what upstream emits.
        const edge = vertex.inputs.length === 1 ? recordsIn : (upstream?.recordsOutPerSecond ?? 0);
        const ratio = upstreamIn > 0 && Number.isFinite(edge) ? edge / upstreamIn : 0;
        return sum + (targetRates.get(input.vertexId) ?? 0) * ratio;
      }, 0);
    }
    targetRates.set(vertex.id, targetRate);

    // Nothing read: the vertex's rate cannot be measured, and with nothing to read it needs nothing.
    // A backlog read at the rate it fell, with no time measured yet, counts as read busy all the time.
    const timeUnmeasured = busyRatio === 0 && !(vertex.idleTimeMsPerSecond.avg > 0);
    const busyShare = lagFall > 0 && timeUnmeasured ? 1 : busyRatio;
    const trueRatePerSubtask =
      observedRate > 0 && busyShare > 0
        ? observedRate / busyShare / vertex.parallelism
        : Number.POSITIVE_INFINITY;
    const rateUnknown = observedRate === 0 && targetRate > 0;
    if (rateUnknown) {
      holds.push({
        code: 'rate-unknown',
        detail: `vertex ${vertex.name} has ${Math.round(targetRate)} records/s to process but read none${source && backlog > 0 ? ' and its backlog did not fall' : ''}; it keeps parallelism ${vertex.parallelism}`,
      });
    }
    const utilization = targetRate === 0 ? 0 : targetRate / (trueRatePerSubtask * vertex.parallelism);
    const outsideBand = utilization > settings.utilizationMax || utilization < settings.utilizationMin;
    let required = outsideBand
      ? Math.max(1, Math.ceil(targetRate / (trueRatePerSubtask * settings.targetUtilization)))
      : vertex.parallelism;
    // More source subtasks than partitions read nothing.
    if (source && vertex.sourcePartitions !== undefined)
      required = Math.min(required, vertex.sourcePartitions);
    // An unknown rate holds the vertex; a rate estimated from the backlog's fall is a lower bound of
    // what it reads, so it may ask for more, never for less.
    if (rateUnknown || lagFall > 0) required = Math.max(required, vertex.parallelism);
    evaluations.push({
      ...base,
      ...(lagFall > 0 ? { backlogFallPerSecond: lagFall } : {}),
      trueRatePerSubtask: finite(trueRatePerSubtask),
      targetRatePerSecond: finite(targetRate),
      utilizationAtTarget: finite(utilization),
      requiredParallelism: required,
    });
  }

  const bounds = {
    minParallelism: lower,
    maxParallelism: settings.maxParallelism,
    slotParallelism,
    keyGroups,
  };
  const taskManagers = { current: cluster.taskManagers, max: cluster.maxTaskManagers, slotsEach };
  const pendingTotal = observation.vertices.some((vertex) => vertex.pendingRecords !== undefined)
    ? observation.vertices.reduce((sum, vertex) => sum + (vertex.pendingRecords ?? 0), 0)
    : undefined;
  const inputs = {
    jobId: observation.jobId,
    observedAt: new Date(observation.observedAt).toISOString(),
    jobState: observation.job.state,
    jobStartedAt: new Date(observation.job.startTime).toISOString(),
    currentParallelism: current,
    pendingRecords: pendingTotal,
    bounds,
    taskManagers,
    vertices: evaluations,
  };
  if (current === 0) {
    return { inputs, problem: { code: 'metrics-missing', detail: 'the job has no vertices' }, notes: [] };
  }
  if (problem) return { inputs, problem, notes: [] };

  // The vertex asking for the most; among equals, the one that would be busiest.
  const rank = (vertex: AutoscaleVertexEvaluation) => [
    vertex.requiredParallelism ?? 0,
    vertex.utilizationAtTarget ?? 0,
  ];
  const bottleneck = evaluations.reduce((best, vertex) => {
    const [required, utilization] = rank(vertex) as [number, number];
    const [bestRequired, bestUtilization] = rank(best) as [number, number];
    return required > bestRequired || (required === bestRequired && utilization > bestUtilization)
      ? vertex
      : best;
  });
  const required = bottleneck.requiredParallelism ?? current;
  const notes: AutoscaleReason[] = [...holds];
  let candidate = current;
  if (required !== current) {
    const up = required > current;
    const bounded = up ? Math.min(required, upper) : Math.max(required, lower);
    if (up ? bounded <= current : bounded >= current) {
      notes.push({
        code: 'at-bound',
        detail: up
          ? `asks for ${required}, but ${upper} is the most it may get (maxParallelism ${settings.maxParallelism}, ${slotParallelism} slots of ${cluster.maxTaskManagers} TaskManagers, key groups)`
          : `asks for ${required}, but ${lower} is the least it may get`,
      });
    } else if (keyGroups === undefined) {
      candidate = bounded;
    } else {
      const aligned = alignToKeyGroups({
        current,
        wanted: bounded,
        keyGroups,
        lower,
        upper,
        mode: settings.keyGroupAlignment,
      });
      candidate = aligned.parallelism;
      if (aligned.blocked) {
        notes.push({
          code: 'alignment-blocked',
          detail: `asks for ${bounded}, but no parallelism between it and ${current} fits ${keyGroups} key groups`,
        });
      }
    }
  }
  return {
    inputs: {
      ...inputs,
      requiredParallelism: required,
      candidateParallelism: candidate,
      bottleneckVertexId: bottleneck.vertexId,
      taskManagers: { ...taskManagers, needed: Math.ceil((slotsOfOthers + candidate) / slotsEach) },
    },
    problem: undefined,
    notes,
  };
}

/** Vertices with every upstream vertex before them (Flink lists them so; this does not rely on it). */
function topologicalOrder(vertices: readonly AutoscaleVertexObservation[]): AutoscaleVertexObservation[] {
  const ordered: AutoscaleVertexObservation[] = [];
  const placed = new Set<string>();
  const known = new Set(vertices.map((vertex) => vertex.id));
  while (ordered.length < vertices.length) {
    const ready = vertices.filter(
      (vertex) =>
        !placed.has(vertex.id) &&
        vertex.inputs.every((input) => placed.has(input.vertexId) || !known.has(input.vertexId)),
    );
    // A cycle (iterations) has no order: the rest keep Flink's.
    const next = ready.length > 0 ? ready : vertices.filter((vertex) => !placed.has(vertex.id));
    for (const vertex of next) {
      ordered.push(vertex);
      placed.add(vertex.id);
    }
  }
  return ordered;
}

/** The number, or undefined when it is not finite (DynamoDB stores neither NaN nor infinity). */
function finite(value: number): number | undefined {
  return Number.isFinite(value) ? value : undefined;
}
