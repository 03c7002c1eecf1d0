import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  type ControlPlane,
  clusterStatus,
  type LeaseHolder,
  listJobs,
  type RestoreChoice,
  type RestoreSource,
  reconcileJobs,
  rescaleJob,
  restoreJob,
  savepointJob,
  stopJob,
  submitSql,
} from '@apphub/control-plane';
import { parseLocalEndpoints, platform } from '@apphub/platform';
import { listDatasetWatermarks, WatermarkTableMissingError } from '@apphub/watermarks';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { localControlPlane } from '../control-plane/local-plane.js';
import { localTaskManagerScaler } from '../control-plane/local-task-managers.js';
import { sampleJobVariables } from '../sample/submit.js';
import { localAwsClients } from '../stack/clients.js';
import { repoRoot } from '../stack/paths.js';
import { parseFlags, runCli } from './run-cli.js';

const usage =
  'usage: npm run flink -- jobs | status | submit <job> [--template <file>] [--vars K=V,...] [--restore none|latest-savepoint|latest-checkpoint|<path>] [--allow-non-restored-state] | savepoint <job> | stop <job> [--drain] | restore <job> --from <path> [--allow-non-restored-state] | reconcile [<job> ...] | rescale <job> <parallelism>';

/** One line for a run that found the job or pass held by another run. */
function busy(what: string, holder: LeaseHolder | undefined): string {
  const until = holder ? ` until ${new Date(holder.expiresAt).toISOString()}` : '';
  return `${what}: another run is active (${holder?.owner ?? 'unknown'}${until}); nothing done`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, index) =>
    Math.max(title.length, ...rows.map((row) => row[index]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    cells.map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

function age(epochMs: number | undefined, now: number): string {
  if (!epochMs) return '-';
  const seconds = Math.max(0, Math.round((now - epochMs) / 1000));
  return seconds < 120
    ? `${seconds}s ago`
    : seconds < 7200
      ? `${Math.round(seconds / 60)}m ago`
      : `${Math.round(seconds / 3600)}h ago`;
}

async function jobsTable(plane: ControlPlane): Promise<string> {
  const rows = (await listJobs(plane)).map(({ jobName, flinkJob, record }) =>
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
  return table(['NAME', 'JOB ID', 'STATE', 'STARTED', 'CONTROL PLANE'], rows);
}

async function status(plane: ControlPlane): Promise<string> {
  const now = Date.now();
  const { overview, jobs, taskManagers } = await clusterStatus(plane);
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
  return sections.join('\n\n');
}

/** Every dataset's watermark and sealed range, from the watermark table the micro-batcher writes. */
async function watermarks(): Promise<string> {
  const tableName = platform.storage.watermarkTable;
  const documents = DynamoDBDocumentClient.from(localAwsClients(parseLocalEndpoints()).dynamodb);
  try {
    const entries = await listDatasetWatermarks(documents, tableName);
    if (entries.length === 0) return `Watermarks: none yet in ${tableName}`;
    return table(
      ['DATASET', 'WATERMARK', 'SEALED THROUGH', 'UPDATED'],
      entries.map((entry) => [
        entry.dataset,
        iso(entry.watermark),
        iso(entry.sealedThrough),
        iso(entry.updatedAt),
      ]),
    );
  } catch (error) {
    if (error instanceof WatermarkTableMissingError) return `Watermarks: ${error.message}`;
    throw error;
  }
}

function iso(epochMs: number | undefined): string {
  return epochMs === undefined ? '-' : new Date(epochMs).toISOString();
}

runCli(async () => {
  const [command, ...rest] = process.argv.slice(2);
  const plane = localControlPlane();
  switch (command) {
    case 'jobs': {
      parseFlags(rest, {});
      console.log(await jobsTable(plane));
      return 0;
    }
    case 'status': {
      parseFlags(rest, {});
      console.log(await status(plane));
      return 0;
    }
    case 'submit': {
      const { positionals, flags } = parseFlags(rest, {
        template: 'string',
        vars: 'string',
        restore: 'string',
        'allow-non-restored-state': 'boolean',
      });
      const jobName = requireJobName(positionals);
      const templatePath =
        typeof flags.template === 'string' ? flags.template : platform.sampleJob.sqlTemplate;
      const result = await submitSql(plane, {
        jobName,
        sqlTemplate: readFileSync(path.resolve(repoRoot, templatePath), 'utf8'),
        // The sample job's variables (topics, brokers, ...) are defaults; --vars adds or overrides.
        variables: { ...sampleJobVariables({ jobName }), ...parseVars(flags.vars) },
        ...(typeof flags.restore === 'string' ? { restore: parseRestore(flags.restore) } : {}),
        allowNonRestoredState: flags['allow-non-restored-state'] === true,
      });
      console.log(
        `${result.action} ${jobName}: job ${result.jobId} (restore: ${describeRestore(result.restoreSource)})`,
      );
      return 0;
    }
    case 'savepoint': {
      const { positionals } = parseFlags(rest, {});
      const jobName = requireJobName(positionals);
      const held = await savepointJob(plane, jobName);
      if (!held.ran) {
        console.log(busy(`savepoint of ${jobName}`, held.holder));
        return 0;
      }
      const { jobId, location, expired } = held.value;
      console.log(`savepoint of ${jobName} (${jobId}) completed: ${location}`);
      if (expired > 0) console.log(`retention deleted ${expired} older savepoint(s)`);
      return 0;
    }
    case 'stop': {
      const { positionals, flags } = parseFlags(rest, { drain: 'boolean' });
      const jobName = requireJobName(positionals);
      const stopped = await stopJob(plane, { jobName, drain: flags.drain === true });
      console.log(`stopped ${jobName} (${stopped.jobId}) with savepoint ${stopped.location}`);
      console.log(`restore with: npm run flink -- restore ${jobName} --from ${stopped.location}`);
      return 0;
    }
    case 'restore': {
      const { positionals, flags } = parseFlags(rest, {
        from: 'string',
        'allow-non-restored-state': 'boolean',
      });
      const jobName = requireJobName(positionals);
      if (typeof flags.from !== 'string')
        throw new Error(`restore needs --from <savepoint or checkpoint path>; ${usage}`);
      const restored = await restoreJob(plane, {
        jobName,
        from: flags.from,
        allowNonRestoredState: flags['allow-non-restored-state'] === true,
      });
      console.log(`restored ${jobName} from ${flags.from} as job ${restored.jobId}`);
      return 0;
    }
    case 'reconcile': {
      // What the EventBridge schedule runs in AWS, once: e.g. after local:down/up lost Flink's jobs.
      const { positionals } = parseFlags(rest, {});
      const pass = await reconcileJobs(plane, positionals);
      if (!pass.ran) {
        console.log(busy('reconcile', pass.holder));
        return 0;
      }
      const outcomes = pass.value;
      if (outcomes.length === 0) {
        console.log('no managed jobs; submit one with npm run flink -- submit <job>');
        return 0;
      }
      console.log(
        table(
          ['JOB', 'ACTION', 'JOB ID', 'REASON'],
          outcomes.map(({ jobName, decision, jobId, error }) => [
            jobName,
            decision.action,
            jobId ?? '-',
            [
              decision.reason,
              ...(decision.action === 'resubmit' ? [`restore: ${describeRestore(decision.restore)}`] : []),
              ...(error ? [`failed: ${error}`] : []),
            ].join('; '),
          ]),
        ),
      );
      return outcomes.some((outcome) => outcome.error) ? 1 : 0;
    }
    case 'rescale': {
      // The rescale Lambda's logic, with the native TaskManagers as the count to change.
      const { positionals } = parseFlags(rest, {});
      const [jobName, parallelism, ...extra] = positionals;
      if (!jobName || !parallelism || extra.length > 0 || !/^\d+$/.test(parallelism)) throw new Error(usage);
      const scaler = localTaskManagerScaler(parseLocalEndpoints());
      const result = await rescaleJob(plane, scaler, { jobName, parallelism: Number(parallelism) });
      if (!result.ran) {
        // The user asked for a change that did not happen: say so and fail, unlike a scheduled pass.
        console.log(busy(`rescale of ${jobName}`, result.holder));
        return 1;
      }
      const { action, plan, jobId, savepoint } = result.value;
      console.log(
        action === 'unchanged'
          ? `${jobName} unchanged: ${plan.reason}`
          : `rescaled ${jobName} to parallelism ${parallelism}: job ${jobId} from ${savepoint} (${plan.reason})`,
      );
      return 0;
    }
    default:
      throw new Error(usage);
  }
});

function parseVars(value: string | boolean | undefined): Record<string, string> {
  if (typeof value !== 'string') return {};
  return Object.fromEntries(
    value.split(',').map((pair) => {
      const [name, ...rest] = pair.split('=');
      if (!name || rest.length === 0)
        throw new Error(`--vars expects K=V pairs separated by commas, got "${pair}"`);
      return [name.trim(), rest.join('=')];
    }),
  );
}

function parseRestore(value: string): RestoreChoice {
  if (value === 'none' || value === 'latest-savepoint' || value === 'latest-checkpoint')
    return { kind: value };
  return { kind: 'path', path: value };
}

function describeRestore(source: RestoreSource): string {
  return source.kind === 'none' ? 'none' : `${source.kind} ${source.path}`;
}

function requireJobName(positionals: readonly string[]): string {
  const [jobName, ...extra] = positionals;
  if (!jobName || extra.length > 0) throw new Error(usage);
  return jobName;
}
