import { FlinkJobNotFoundError } from '@apphub/flink';
import type { ControlPlane } from './context.js';
import type { ObservedSnapshot } from './decisions.js';
import { ControlPlaneRestoreMissingError } from './errors.js';
import type { RestoreChoice, RestoreSource, SavepointRecord } from './records.js';
import { refreshInFlight } from './savepoints.js';

/** Newest completed savepoint of a history (entries sorted any way). */
export function newestCompleted(history: readonly SavepointRecord[]): ObservedSnapshot | undefined {
  const newest = history
    .filter((entry) => entry.status === 'COMPLETED' && entry.location)
    .map((entry) => ({
      path: entry.location!,
      completedAt: Date.parse(entry.completedAt ?? entry.triggeredAt),
    }))
    .sort((a, b) => b.completedAt - a.completedAt)[0];
  return newest;
}

/** Where checkpoints live: the configured root, else the JobManager's `execution.checkpointing.dir`. */
export async function checkpointRoot(plane: ControlPlane): Promise<string | undefined> {
  if (plane.config.checkpointDir) return plane.config.checkpointDir;
  const config = await plane.rest.jobManagerConfig();
  return config['execution.checkpointing.dir'] ?? config['state.checkpoints.dir'];
}

/**
 * Newest completed checkpoint of a Flink job: from the JobManager while it knows the job, else from
 * the retained checkpoints in storage (a JobManager restarted without HA forgets its jobs).
 */
export async function latestCheckpoint(
  plane: ControlPlane,
  jobId: string | undefined,
): Promise<ObservedSnapshot | undefined> {
  if (!jobId) return undefined;
  try {
    const stats = await plane.rest.checkpoints(jobId);
    if (stats.latestCompleted) {
      return { path: stats.latestCompleted.externalPath, completedAt: stats.latestCompleted.completedAt };
    }
  } catch (error) {
    if (!(error instanceof FlinkJobNotFoundError)) throw error;
  }
  const root = await checkpointRoot(plane);
  if (!root) return undefined;
  const stored = await plane.storage.latestCheckpoint(root, jobId);
  return stored ? { path: stored.path, completedAt: stored.completedAt } : undefined;
}

/** Turns a user's restore choice into a concrete, verified restore source. */
export async function resolveRestoreChoice(
  plane: ControlPlane,
  jobName: string,
  previousJobId: string | undefined,
  choice: RestoreChoice,
): Promise<RestoreSource> {
  switch (choice.kind) {
    case 'none':
      return { kind: 'none' };
    case 'path': {
      if (!(await plane.storage.hasMetadata(choice.path))) {
        throw new ControlPlaneRestoreMissingError(
          `Cannot restore ${jobName} from ${choice.path}: no _metadata there (not a completed savepoint or checkpoint)`,
        );
      }
      return { kind: /\/chk-\d+\/?$/.test(choice.path) ? 'checkpoint' : 'savepoint', path: choice.path };
    }
    case 'latest-savepoint': {
      const newest = newestCompleted(await refreshInFlight(plane, await plane.savepoints.history(jobName)));
      if (!newest) {
        throw new ControlPlaneRestoreMissingError(
          `Cannot restore ${jobName} from its latest savepoint: none completed is recorded`,
          { refusal: { code: 'savepoint-missing', jobName } },
        );
      }
      return { kind: 'savepoint', path: newest.path };
    }
    case 'latest-checkpoint': {
      const newest = await latestCheckpoint(plane, previousJobId);
      if (!newest) {
        throw new ControlPlaneRestoreMissingError(
          `Cannot restore ${jobName} from its latest checkpoint: ${previousJobId ? `job ${previousJobId} has no retained checkpoint` : 'it was never submitted'}`,
        );
      }
      return { kind: 'checkpoint', path: newest.path };
    }
  }
}
