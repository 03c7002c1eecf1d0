import { type ControlPlane, jobLease, withLease } from '@apphub/control-plane';
import { isTerminal } from '@apphub/flink';

/** Every job a test submits is named from this prefix (uniqueName('it-…')). */
const TEST_JOB_PREFIX = 'it-';

/**
 * Removes the managed jobs an interrupted earlier test run left behind (its afterAll never ran), so
 * the reconciler does not bring them back and take the slots this run's jobs need. Each job is
 * forgotten under its own lease, the one a reconcile pass takes per job, so a pass running at the
 * same time either acted before (and its job is cancelled here) or sees no desired state afterwards.
 * Returns the names it removed.
 */
export async function removeLeftoverTestJobs(plane: ControlPlane): Promise<string[]> {
  const leftovers = (await plane.jobs.list()).filter((record) => record.jobName.startsWith(TEST_JOB_PREFIX));
  const removed: string[] = [];
  for (const { jobName } of leftovers) {
    const outcome = await withLease(
      plane,
      jobLease(jobName),
      { waitUntil: plane.now() + 120_000 },
      async () => {
        await plane.jobs.delete(jobName);
        const running = (await plane.rest.jobs()).filter(
          (job) => job.name === jobName && !isTerminal(job.state),
        );
        for (const job of running) await plane.rest.cancel(job.id);
      },
    );
    if (!outcome.ran) throw new Error(`leftover test job ${jobName} is held by ${outcome.holder?.owner}`);
    removed.push(jobName);
  }
  return removed;
}
