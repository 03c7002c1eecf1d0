import type { CheckpointStats, ClusterOverview, FlinkJob, TaskManagerInfo } from '@apphub/flink';
import type { ControlPlane } from './context.js';
import { isAlive } from './decisions.js';
import { matchFlinkJob } from './deploy.js';
import type { JobRecord, SavepointRecord } from './records.js';

/** A Flink job and its record, or a managed job Flink does not know (`flinkJob` undefined). */
export interface ListedJob {
  readonly jobName: string;
  readonly flinkJob: FlinkJob | undefined;
  /** Undefined for a job the control plane does not manage. */
  readonly record: JobRecord | undefined;
}

/** Every job Flink knows, newest first, then the managed jobs it does not know. */
export async function listJobs(plane: ControlPlane): Promise<ListedJob[]> {
  const [flinkJobs, records] = await Promise.all([plane.rest.jobs(), plane.jobs.list()]);
  const known = [...flinkJobs]
    .sort((a, b) => b.startTime - a.startTime)
    .map((job) => ({
      jobName: job.name,
      flinkJob: job,
      record: records.find((record) => record.jobId === job.id),
    }));
  const lost = records
    .filter((record) => !flinkJobs.some((job) => job.id === record.jobId))
    .map((record) => ({ jobName: record.jobName, flinkJob: undefined, record }));
  return [...known, ...lost];
}

/** One job by name, live in Flink or managed: its checkpoints while alive, its newest completed savepoint. */
export interface JobStatus {
  readonly jobName: string;
  readonly flinkJob: FlinkJob | undefined;
  readonly record: JobRecord | undefined;
  readonly checkpoints: CheckpointStats | undefined;
  readonly lastSavepoint: SavepointRecord | undefined;
}

/** The cluster, its TaskManagers, and every live or managed job by name. */
export interface ClusterStatus {
  readonly overview: ClusterOverview;
  readonly jobs: readonly JobStatus[];
  readonly taskManagers: readonly TaskManagerInfo[];
}

/** Reads the status of the cluster and of every live or managed job (sorted by name). */
export async function clusterStatus(plane: ControlPlane): Promise<ClusterStatus> {
  const [overview, flinkJobs, taskManagers, records] = await Promise.all([
    plane.rest.overview(),
    plane.rest.jobs(),
    plane.rest.taskManagers(),
    plane.jobs.list(),
  ]);
  const names = [
    ...new Set([
      ...flinkJobs.filter((job) => isAlive(job)).map((job) => job.name),
      ...records.map((record) => record.jobName),
    ]),
  ].sort();
  const jobs: JobStatus[] = [];
  for (const jobName of names) {
    const record = records.find((candidate) => candidate.jobName === jobName);
    const flinkJob = matchFlinkJob({ jobName, jobId: record?.jobId }, flinkJobs);
    jobs.push({
      jobName,
      flinkJob,
      record,
      checkpoints: flinkJob && isAlive(flinkJob) ? await plane.rest.checkpoints(flinkJob.id) : undefined,
      lastSavepoint: (await plane.savepoints.history(jobName)).find((entry) => entry.status === 'COMPLETED'),
    });
  }
  return { overview, jobs, taskManagers };
}
