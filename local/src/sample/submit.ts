import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FlinkRestClient, renderSqlTemplate, SqlGatewayClient, splitSqlStatements } from '@apphub/flink';
import { AppHubError, type LocalEndpoints, parseLocalEndpoints, platform } from '@apphub/platform';
import { repoRoot } from '../stack/paths.js';

/** Kafka source start positions the sample job accepts (the connector's scan.startup.mode values). */
export const startupModes = ['earliest-offset', 'latest-offset', 'group-offsets'] as const;
export type StartupMode = (typeof startupModes)[number];

export interface SampleJobOptions {
  readonly jobName?: string;
  readonly inputTopic?: string;
  readonly outputTopic?: string;
  /** Where records that cannot be aggregated go, with their reason. */
  readonly deadLetterTopic?: string;
  readonly groupId?: string;
  readonly startupMode?: StartupMode;
  /** Restore from this savepoint or retained checkpoint (the runbook's --fromSavepoint). */
  readonly fromSavepoint?: string;
  /** Submit even when a job of the same name is already running (a second copy). */
  readonly allowDuplicate?: boolean;
  readonly endpoints?: LocalEndpoints;
  /** Extra session settings, e.g. a short checkpoint interval in tests. */
  readonly sessionProperties?: Readonly<Record<string, string>>;
  /** Another SQL template with the same variables (default: infra/sql/tumbling-window.sql). */
  readonly templatePath?: string;
}

/** A job of the same name already runs; submitting again would double its output. */
export class SampleJobAlreadyRunningError extends AppHubError {}

/** The template's variables for these options, defaults from infra/platform.json. */
export function sampleJobVariables(
  options: SampleJobOptions,
  endpoints: LocalEndpoints,
): Record<string, string> {
  return {
    JOB_NAME: options.jobName ?? platform.sampleJob.name,
    BROKERS: endpoints.brokers.join(','),
    INPUT_TOPIC: options.inputTopic ?? platform.topics.input.name,
    OUTPUT_TOPIC: options.outputTopic ?? platform.topics.aggregates.name,
    DEAD_LETTER_TOPIC: options.deadLetterTopic ?? platform.topics.deadLetter.name,
    GROUP_ID: options.groupId ?? platform.sampleJob.groupId,
    STARTUP_MODE: options.startupMode ?? 'earliest-offset',
    WATERMARK_DELAY_SECONDS: String(platform.sampleJob.watermarkDelaySeconds),
    SOURCE_IDLE_TIMEOUT_SECONDS: String(platform.sampleJob.sourceIdleTimeoutSeconds),
  };
}

/** Reads the shared template and renders it; a missing variable fails here, before Flink is contacted. */
export function renderSampleJob(
  variables: Readonly<Record<string, string>>,
  templatePath = platform.sampleJob.sqlTemplate,
): string[] {
  const template = readFileSync(path.resolve(repoRoot, templatePath), 'utf8');
  return splitSqlStatements(renderSqlTemplate(template, variables));
}

/** Renders the sample SQL and submits it through the SQL Gateway; returns the Flink job id. */
export async function submitSampleJob(
  options: SampleJobOptions = {},
): Promise<{ jobId: string; jobName: string }> {
  const endpoints = options.endpoints ?? parseLocalEndpoints();
  const variables = sampleJobVariables(options, endpoints);
  const statements = renderSampleJob(variables, options.templatePath);
  const jobName = variables.JOB_NAME!;

  if (!options.allowDuplicate) {
    const running = (await new FlinkRestClient({ baseUrl: endpoints.flinkRestUrl }).jobs()).filter(
      (job) =>
        job.name === jobName && ['RUNNING', 'CREATED', 'INITIALIZING', 'RESTARTING'].includes(job.state),
    );
    if (running.length > 0) {
      throw new SampleJobAlreadyRunningError(
        `job "${jobName}" is already running as ${running.map((job) => job.id).join(', ')}; stop it first (npm run flink -- stop ${jobName}) or pass --job-name`,
      );
    }
  }
  const restore = options.fromSavepoint
    ? [`SET 'execution.savepoint.path' = '${options.fromSavepoint.replaceAll("'", "''")}'`]
    : [];
  const gateway = new SqlGatewayClient({ baseUrl: endpoints.sqlGatewayUrl });
  const { jobId } = await gateway.runStatements([...restore, ...statements], {
    sessionName: jobName,
    ...(options.sessionProperties ? { sessionProperties: options.sessionProperties } : {}),
  });
  return { jobId, jobName };
}

/**
 * True once every task of the job runs. Flink reports a job RUNNING while its tasks still deploy;
 * events produced before the sources read would meet a watermark already moved on by another
 * partition's backlog, and count as late.
 */
export async function jobTasksRunning(flinkRestUrl: string, jobId: string): Promise<boolean> {
  const response = await fetch(`${flinkRestUrl}/jobs/${jobId}`, { signal: AbortSignal.timeout(5_000) });
  if (!response.ok) return false;
  const job = (await response.json()) as { state: string; vertices: { status: string }[] };
  return (
    job.state === 'RUNNING' &&
    job.vertices.length > 0 &&
    job.vertices.every((vertex) => vertex.status === 'RUNNING')
  );
}
