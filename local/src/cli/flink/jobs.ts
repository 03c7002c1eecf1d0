import { listJobs } from '@apphub/control-plane';
import { localControlPlane } from '../../control-plane/local-plane.js';
import { defineCommand } from '../run-cli.js';
import { table } from '../table.js';
import { flinkProgram } from './shared.js';

/** `npm run flink -- jobs`: every Flink job, and managed jobs Flink does not know. */
export const jobsCommand = defineCommand({
  program: `${flinkProgram} jobs`,
  summary: 'Lists the Flink jobs (newest first) and the managed jobs Flink does not know.',
  options: {},
  async run() {
    const rows = (await listJobs(localControlPlane())).map(({ jobName, flinkJob, record }) =>
      flinkJob
        ? [
            flinkJob.name,
            flinkJob.id,
            flinkJob.state,
            new Date(flinkJob.startTime).toISOString(),
            record ? 'managed' : '-',
          ]
        : [jobName, record?.jobId ?? '-', 'NOT IN FLINK', '-', `managed (${record?.desiredState})`],
    );
    console.log(table(['NAME', 'JOB ID', 'STATE', 'STARTED', 'CONTROL PLANE'], rows));
    return 0;
  },
});
