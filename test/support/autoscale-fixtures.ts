import {
  type AutoscaleDecisionRecord,
  type AutoscaleObservation,
  type AutoscaleVertexObservation,
  autoscaleDecisionRecord,
  autoscaleSettingDefaults,
  decideAutoscale,
} from '@apphub/control-plane';

/** Vertex ids of the synthesized job: a Kafka source chain, then a keyed window chain writing the sink. */
export const SOURCE = 'cbc357ccb763df2852fee8c4fc7d55f2';
export const WINDOW = '90bea66de1c231edf33913ecd54406c1';

/** What one vertex did during the last metric interval, as a share of each second. */
export interface VertexLoad {
  readonly busy: number;
  readonly backPressured?: number;
  readonly idle?: number;
  readonly recordsIn: number;
  readonly recordsOut?: number;
}

/** The synthesized job at one moment: the sample job's shape (source -> HASH -> window and sink). */
export interface JobMoment {
  readonly now: number;
  readonly jobId?: string;
  readonly startTime?: number;
  readonly state?: string;
  readonly allTasksRunning?: boolean;
  readonly parallelism: number;
  readonly maxParallelism?: number;
  readonly partitions?: number;
  readonly pendingRecords?: number | undefined;
  readonly source: VertexLoad;
  readonly window: VertexLoad;
  readonly taskManagers?: number;
  readonly maxTaskManagers?: number;
  readonly slotsPerTaskManager?: number;
  /** Slots other jobs take. */
  readonly slotsOfOthers?: number;
}

function vertex(
  id: string,
  name: string,
  moment: JobMoment,
  load: VertexLoad,
  inputs: AutoscaleVertexObservation['inputs'],
): AutoscaleVertexObservation {
  const ms = (share: number | undefined) => ({ max: (share ?? 0) * 1000, avg: (share ?? 0) * 1000 });
  const source = inputs.length === 0;
  return {
    id,
    name,
    parallelism: moment.parallelism,
    maxParallelism: moment.maxParallelism ?? 128,
    inputs,
    busyTimeMsPerSecond: ms(load.busy),
    backPressuredTimeMsPerSecond: ms(load.backPressured),
    idleTimeMsPerSecond: ms(load.idle ?? Math.max(0, 1 - load.busy - (load.backPressured ?? 0))),
    recordsInPerSecond: load.recordsIn,
    recordsOutPerSecond: load.recordsOut ?? load.recordsIn,
    pendingRecords: source ? moment.pendingRecords : undefined,
    sourcePartitions: source ? (moment.partitions ?? 8) : undefined,
  };
}

/** The observation the REST API would give of the synthesized job at one moment. */
export function observationOf(moment: JobMoment): AutoscaleObservation {
  const slotsPerTaskManager = moment.slotsPerTaskManager ?? 4;
  const taskManagers = moment.taskManagers ?? 2;
  const slotsTotal = taskManagers * slotsPerTaskManager;
  return {
    jobName: 'orders',
    jobId: moment.jobId ?? 'job-1',
    observedAt: moment.now,
    job: {
      state: moment.state ?? 'RUNNING',
      startTime: moment.startTime ?? moment.now - 86_400_000,
      allTasksRunning: moment.allTasksRunning ?? true,
    },
    vertices: [
      vertex(SOURCE, 'Source: orders -> Calc', moment, moment.source, []),
      vertex(WINDOW, 'GroupWindowAggregate -> Sink: aggregates', moment, moment.window, [
        { vertexId: SOURCE, shipStrategy: 'HASH' },
      ]),
    ],
    cluster: {
      taskManagers,
      slotsTotal,
      slotsAvailable: Math.max(0, slotsTotal - moment.parallelism - (moment.slotsOfOthers ?? 0)),
      slotsPerTaskManager,
      maxTaskManagers: moment.maxTaskManagers ?? 2,
    },
  };
}

/** A decision record of the synthesized job, decided on `moment` with the default settings turned on. */
export function recordOf(moment: JobMoment, jobName = 'orders'): AutoscaleDecisionRecord {
  const settings = { ...autoscaleSettingDefaults, enabled: true };
  const decision = decideAutoscale(observationOf(moment), [], settings, moment.now);
  return autoscaleDecisionRecord(jobName, decision, settings, moment.now);
}
