import {
  FlinkRequestError,
  FlinkSavepointError,
  FlinkSavepointTimeoutError,
  isTerminal,
  sleep,
} from '@apphub/flink';
import { MetricName, type MetricRecorder } from '@apphub/observability';
import type { ControlPlane } from './context.js';
import { decideRetention, decideSavepoint, type SavepointDecision } from './decisions.js';
import { matchFlinkJob } from './deploy.js';
import type { LeaseOutcome } from './lease.js';
import { type PassOptions, runPass } from './pass.js';
import type { JobRecord, SavepointRecord } from './records.js';

/** The directory a job's savepoints go to: one per job under the configured root. */
export function savepointDirectory(plane: ControlPlane, jobName: string): string {
  return `${plane.config.savepointDir}/${jobName}`;
}

/**
 * Brings IN_PROGRESS history entries up to date with Flink. An entry whose trigger Flink no longer
 * knows (JobManager restarted, or its result expired) is marked FAILED so it stops blocking.
 */
export async function refreshInFlight(
  plane: ControlPlane,
  history: readonly SavepointRecord[],
): Promise<SavepointRecord[]> {
  const refreshed: SavepointRecord[] = [];
  for (const record of history) {
    if (record.status !== 'IN_PROGRESS') {
      refreshed.push(record);
      continue;
    }
    let updated: SavepointRecord = record;
    try {
      const status = await plane.rest.savepointStatus(record.jobId, record.savepointId);
      if (status.state === 'COMPLETED') {
        updated = {
          ...record,
          status: 'COMPLETED',
          location: status.location,
          completedAt: new Date(plane.now()).toISOString(),
        };
      } else if (status.state === 'FAILED') {
        updated = { ...record, status: 'FAILED', failureCause: status.failureCause };
      }
    } catch (error) {
      if (!(error instanceof FlinkRequestError && error.status === 404)) throw error;
      updated = { ...record, status: 'FAILED', failureCause: 'Flink no longer knows this savepoint trigger' };
    }
    if (updated !== record) await plane.savepoints.put(updated);
    refreshed.push(updated);
  }
  return refreshed;
}

/**
 * Waits for a triggered savepoint (or stop-with-savepoint), records its outcome and returns the
 * record. A failure is recorded and thrown; a timeout leaves the entry in flight and throws.
 */
async function completeSavepoint(plane: ControlPlane, pending: SavepointRecord): Promise<SavepointRecord> {
  let location: string;
  try {
    location = await plane.rest.waitForSavepoint(pending.jobId, pending.savepointId, {
      timeoutMs: plane.config.savepointTimeoutMs,
    });
  } catch (error) {
    if (error instanceof FlinkSavepointError && !(error instanceof FlinkSavepointTimeoutError)) {
      await plane.savepoints.put({ ...pending, status: 'FAILED', failureCause: error.message });
    }
    throw error;
  }
  if (!(await plane.storage.hasMetadata(location))) {
    const failureCause = `Flink reported savepoint ${location} but it has no _metadata`;
    await plane.savepoints.put({ ...pending, status: 'FAILED', location, failureCause });
    throw new FlinkSavepointError(failureCause);
  }
  const completed: SavepointRecord = {
    ...pending,
    status: 'COMPLETED',
    location,
    completedAt: new Date(plane.now()).toISOString(),
  };
  await plane.savepoints.put(completed);
  return completed;
}

/** Triggers a savepoint of a running job into its directory, polls it to completion and records it. */
export async function takeSavepoint(
  plane: ControlPlane,
  jobName: string,
  jobId: string,
  trigger: 'periodic' | 'manual',
): Promise<SavepointRecord> {
  const directory = savepointDirectory(plane, jobName);
  const savepointId = await plane.rest.triggerSavepoint(jobId, directory);
  const pending = inFlightRecord(plane, { jobName, jobId, savepointId, directory, trigger });
  await plane.savepoints.put(pending);
  return completeSavepoint(plane, pending);
}

/** Stops a job with a final savepoint (recorded as `stop`) and returns the savepoint record. */
export async function stopWithSavepoint(
  plane: ControlPlane,
  jobName: string,
  jobId: string,
  drain = false,
): Promise<SavepointRecord> {
  const directory = savepointDirectory(plane, jobName);
  const savepointId = await plane.rest.stopWithSavepoint(jobId, directory, drain);
  const pending = inFlightRecord(plane, { jobName, jobId, savepointId, directory, trigger: 'stop' });
  await plane.savepoints.put(pending);
  const completed = await completeSavepoint(plane, pending);
  await waitForTermination(plane, jobId);
  return completed;
}

function inFlightRecord(
  plane: ControlPlane,
  fields: Pick<SavepointRecord, 'jobName' | 'jobId' | 'savepointId' | 'directory' | 'trigger'>,
): SavepointRecord {
  return {
    ...fields,
    status: 'IN_PROGRESS',
    location: undefined,
    triggeredAt: new Date(plane.now()).toISOString(),
    completedAt: undefined,
    failureCause: undefined,
  };
}

/** A stopped job reports its savepoint before it reaches FINISHED; wait so a resubmission sees free slots. */
async function waitForTermination(plane: ControlPlane, jobId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = plane.now() + timeoutMs;
  while (plane.now() < deadline) {
    const job = await plane.rest.job(jobId);
    if (isTerminal(job.state)) return;
    await sleep(250);
  }
}

/**
 * Applies retention to a job's history: deletes the data of expired savepoints (only under the
 * configured savepoint root), then their records. Returns the expired records.
 */
export async function applyRetention(
  plane: ControlPlane,
  jobName: string,
  history?: readonly SavepointRecord[],
): Promise<SavepointRecord[]> {
  const current = history ?? (await plane.savepoints.history(jobName));
  const expired = decideRetention(current, plane.config.savepointRetention, plane.now());
  for (const record of expired) {
    if (record.location) await plane.storage.deleteSnapshot(record.location, plane.config.savepointDir);
    await plane.savepoints.delete(record.jobName, record.savepointId);
    plane.logger.info('savepoint expired', {
      jobName,
      savepointId: record.savepointId,
      location: record.location,
    });
  }
  return expired;
}

/** Outcome of the savepoint schedule for one job. */
export interface SavepointOutcome {
  readonly jobName: string;
  readonly decision: SavepointDecision;
  readonly savepoint?: SavepointRecord;
  readonly expired: readonly string[];
  readonly error?: string;
}

/**
 * The scheduled savepoint run: for each managed job (or the named ones) observe, decide, act.
 * One job's failure does not stop the others; failures are returned and counted as metrics.
 * Single-flight: while another pass holds the savepoint lease this returns `{ ran: false }`; a job
 * another operation (a rescale, a reconcile action) holds is skipped.
 */
export function runSavepointSchedule(
  plane: ControlPlane,
  options: PassOptions = {},
): Promise<LeaseOutcome<SavepointOutcome[]>> {
  return runPass(
    plane,
    'savepoint',
    options,
    (record, flinkJobs, metrics) => savepointOne(plane, record, flinkJobs, metrics),
    (record, reason) => ({ jobName: record.jobName, decision: { action: 'skip', reason }, expired: [] }),
  );
}

async function savepointOne(
  plane: ControlPlane,
  record: JobRecord,
  flinkJobs: Parameters<typeof matchFlinkJob>[1],
  metrics: MetricRecorder,
): Promise<SavepointOutcome> {
  const log = plane.logger.child({ jobName: record.jobName });
  const history = await refreshInFlight(plane, await plane.savepoints.history(record.jobName));
  const flinkJob = matchFlinkJob(record, flinkJobs);
  const decision = decideSavepoint({
    record,
    flinkJob,
    savepointInFlight: history.some((entry) => entry.status === 'IN_PROGRESS'),
  });
  if (decision.action === 'skip') {
    log.info('savepoint skipped', { reason: decision.reason, flinkJob });
    return { jobName: record.jobName, decision, expired: [] };
  }
  try {
    const savepoint = await takeSavepoint(plane, record.jobName, flinkJob!.id, 'periodic');
    metrics.add(MetricName.savepointsCompleted, 'Count');
    log.info('savepoint completed', { location: savepoint.location });
    const expired = await applyRetention(plane, record.jobName);
    return {
      jobName: record.jobName,
      decision,
      savepoint,
      expired: expired.map((entry) => entry.savepointId),
    };
  } catch (error) {
    metrics.add(MetricName.savepointsFailed, 'Count');
    log.error('savepoint failed', { error });
    return { jobName: record.jobName, decision, expired: [], error: (error as Error).message };
  }
}
