import type { FlinkJob } from '@apphub/flink';
import type { MetricRecorder } from '@apphub/observability';
import { type ControlPlane, forEachManagedJob } from './context.js';
import {
  jobLease,
  type LeaseHolder,
  type LeaseOutcome,
  type LeaseTiming,
  passLease,
  withLease,
} from './lease.js';
import type { JobRecord } from './records.js';

/** Options of a pass: which jobs, and the lease timing of the run (its deadline, how long to wait). */
export interface PassOptions extends LeaseTiming {
  readonly jobNames?: readonly string[] | undefined;
}

/**
 * A single-flight pass over the managed jobs (or the named ones): nothing runs while another pass of
 * the same kind holds its lease (`{ ran: false }`). Each job is handled under its own lease, with
 * its record and Flink's jobs read after taking it, since an operation that just released the job
 * (a rescale, an upgrade) may have changed both; a job another operation holds gets `busy`.
 */
export function runPass<T>(
  plane: ControlPlane,
  pass: 'savepoint' | 'reconcile',
  options: PassOptions,
  act: (record: JobRecord, flinkJobs: readonly FlinkJob[], metrics: MetricRecorder) => Promise<T>,
  busy: (record: JobRecord, reason: string) => T,
): Promise<LeaseOutcome<T[]>> {
  return withLease(plane, passLease(pass), options, () =>
    forEachManagedJob(plane, options.jobNames, async (listed, metrics) => {
      const held = await withLease(
        plane,
        jobLease(listed.jobName),
        { deadline: options.deadline },
        async () => act((await plane.jobs.get(listed.jobName)) ?? listed, await plane.rest.jobs(), metrics),
      );
      return held.ran ? held.value : busy(listed, heldBy(held.holder));
    }),
  );
}

function heldBy(holder: LeaseHolder | undefined): string {
  return `another operation holds the job (${holder?.owner ?? 'unknown'})`;
}
