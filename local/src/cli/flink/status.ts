import { clusterStatus } from '@apphub/control-plane';
import { parseLocalEndpoints, platform } from '@apphub/platform';
import { listDatasetWatermarks, WatermarkTableMissingError } from '@apphub/watermarks';
import { localControlPlane } from '../../control-plane/local-plane.js';
import { localAwsClients } from '../../stack/clients.js';
import { defineCommand } from '../run-cli.js';
import { age, isoTime, table } from '../table.js';
import { flinkProgram } from './shared.js';

/** `npm run flink -- status`: the cluster, every live or managed job, the TaskManagers, the watermarks. */
export const statusCommand = defineCommand({
  program: `${flinkProgram} status`,
  summary: 'Shows the cluster, the jobs, the TaskManagers and the dataset watermarks.',
  details: () =>
    'Each live or managed job with its last checkpoint, failed checkpoints and last savepoint;\n' +
    "every dataset's watermark and sealed range from the micro-batcher's watermark table.",
  options: {},
  async run() {
    const now = Date.now();
    const { overview, jobs, taskManagers } = await clusterStatus(localControlPlane());
    const jobRows = jobs.map(({ jobName, flinkJob, record, checkpoints, lastSavepoint }) => {
      const lastCheckpoint = checkpoints?.latestCompleted;
      return [
        jobName,
        flinkJob?.state ?? 'NOT IN FLINK',
        flinkJob?.id ?? record?.jobId ?? '-',
        lastCheckpoint ? `#${lastCheckpoint.id} ${age(lastCheckpoint.completedAt, now)}` : '-',
        checkpoints ? String(checkpoints.failed) : '-',
        lastSavepoint?.completedAt
          ? `${age(Date.parse(lastSavepoint.completedAt), now)} ${lastSavepoint.location}`
          : '-',
      ];
    });
    const sections = [
      `Flink ${overview.flinkVersion}: ${overview.taskManagers} TaskManagers, ${overview.slotsAvailable}/${overview.slotsTotal} slots free, ${overview.jobsRunning} jobs running`,
      table(['JOB', 'STATE', 'JOB ID', 'LAST CHECKPOINT', 'FAILED CP', 'LAST SAVEPOINT'], jobRows),
      table(
        ['TASKMANAGER', 'SLOTS', 'FREE', 'LAST HEARTBEAT'],
        taskManagers.map((tm) => [tm.id, String(tm.slots), String(tm.freeSlots), age(tm.lastHeartbeat, now)]),
      ),
      await watermarks(),
    ];
    console.log(sections.join('\n\n'));
    return 0;
  },
});

/** Every dataset's watermark and sealed range, from the watermark table the micro-batcher writes. */
async function watermarks(): Promise<string> {
  const tableName = platform.storage.watermarkTable;
  const documents = localAwsClients(parseLocalEndpoints()).documents;
  try {
    const entries = await listDatasetWatermarks(documents, tableName);
    if (entries.length === 0) return `Watermarks: none yet in ${tableName}`;
    return table(
      ['DATASET', 'WATERMARK', 'SEALED THROUGH', 'UPDATED'],
      entries.map((entry) => [
        entry.dataset,
        isoTime(entry.watermark),
        isoTime(entry.sealedThrough),
        isoTime(entry.updatedAt),
      ]),
    );
  } catch (error) {
    if (error instanceof WatermarkTableMissingError) return `Watermarks: ${error.message}`;
    throw error;
  }
}
