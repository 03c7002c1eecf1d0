import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type AutoscaleJobSettings, type ControlPlane, submitSql } from '@apphub/control-plane';
import {
  FlinkRestClient,
  isTerminal,
  renderSqlTemplate,
  SqlGatewayClient,
  splitSqlStatements,
  sqlOptions,
} from '@apphub/flink';
import { flinkKafkaTableOptions, parseLocalEndpoints, platform } from '@apphub/platform';
import { localControlPlane } from '../control-plane/local-plane.js';
import { LocalError } from '../errors.js';
import { repoRoot } from '../stack/paths.js';
import { waitUntil } from '../stack/progress.js';
import { jobKafka, type SampleTarget } from './targets.js';

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
  readonly startupMode?: StartupMode | undefined;
  /** Restore from this savepoint or retained checkpoint (the runbook's --fromSavepoint). */
  readonly fromSavepoint?: string | undefined;
  /** Extra session settings, e.g. a short checkpoint interval in tests. */
  readonly sessionProperties?: Readonly<Record<string, string>>;
  /** Another SQL template with the same variables (default: infra/sql/tumbling-window.sql). */
  readonly templatePath?: string | undefined;
  /** Where the job runs (default native): decides how its SQL reaches Kafka and how it is submitted. */
  readonly target?: SampleTarget;
  /** The control plane to submit through on the native stack (default: the one wired to it). */
  readonly plane?: ControlPlane;
  /** The job's autoscaler settings (native only: the control plane's autoscaler). */
  readonly autoscale?: AutoscaleJobSettings | undefined;
}

/**
 * Autoscaler settings for the sample job on the local stack, in seconds where the defaults wait
 * minutes: the scaling test and the bench use them, so a backlog is scaled up for and back down
 * from within a few minutes.
 */
export const quickAutoscaleSettings = {
  enabled: true,
  maxParallelism: 4,
  catchUpSeconds: 10,
  restartSeconds: 5,
  stabilizationSeconds: 10,
  scaleUpDelaySeconds: 0,
  scaleDownDelaySeconds: 30,
  maxRescalesPerHour: 3,
} as const satisfies AutoscaleJobSettings;

/** A job of the same name already runs in compose or minikube; submitting again would double its output. */
export class SampleJobAlreadyRunningError extends LocalError {}

/**
 * The sample template's own variables for these options, defaults from infra/platform.json. The
 * Kafka address and security (BROKERS, KAFKA_CLIENT_OPTIONS) come from the control plane, as in AWS.
 */
export function sampleJobVariables(options: SampleJobOptions = {}): Record<string, string> {
  return {
    JOB_NAME: options.jobName ?? platform.sampleJob.name,
    INPUT_TOPIC: options.inputTopic ?? platform.topics.input.name,
    OUTPUT_TOPIC: options.outputTopic ?? platform.topics.aggregates.name,
    DEAD_LETTER_TOPIC: options.deadLetterTopic ?? platform.topics.deadLetter.name,
    GROUP_ID: options.groupId ?? platform.sampleJob.groupId,
    STARTUP_MODE: options.startupMode ?? 'earliest-offset',
    WATERMARK_DELAY_SECONDS: String(platform.sampleJob.watermarkDelaySeconds),
    SOURCE_IDLE_TIMEOUT_SECONDS: String(platform.sampleJob.sourceIdleTimeoutSeconds),
  };
}

function readTemplate(templatePath = platform.sampleJob.sqlTemplate): string {
  return readFileSync(path.resolve(repoRoot, templatePath), 'utf8');
}

/**
 * The sample job's statements for `target`: the template with the sample's variables and the
 * target's Kafka address and security (the same BROKERS and KAFKA_CLIENT_OPTIONS the control plane
 * gives every template). A missing or unsafe variable fails here, before Flink is contacted.
 */
export function renderSampleJob(options: SampleJobOptions = {}): string[] {
  const kafka = jobKafka(options.target ?? 'native');
  return splitSqlStatements(
    renderSqlTemplate(readTemplate(options.templatePath), {
      BROKERS: kafka.bootstrapServers,
      KAFKA_CLIENT_OPTIONS: sqlOptions(flinkKafkaTableOptions(kafka.security)),
      ...sampleJobVariables(options),
    }),
  );
}

/**
 * Submits the sample job. Natively through the control plane (the submit-sql Lambda's logic): the
 * job is then managed, so it comes back by itself after a JobManager restart; the same SQL again keeps
 * the running job, changed SQL upgrades it through a savepoint. In compose and minikube (no control
 * plane there) the rendered SQL goes straight to the SQL Gateway at APPHUB_SQL_GATEWAY_URL, as the
 * seed's runbook does, and a second copy of a running job is refused.
 */
export async function submitSampleJob(
  options: SampleJobOptions = {},
): Promise<{ jobId: string; jobName: string; action: string }> {
  if ((options.target ?? 'native') !== 'native') return submitToGateway(options);
  const plane = options.plane ?? localControlPlane();
  const variables = sampleJobVariables(options);
  const jobName = variables.JOB_NAME!;
  const result = await submitSql(plane, {
    jobName,
    sqlTemplate: readTemplate(options.templatePath),
    variables,
    restore: options.fromSavepoint ? { kind: 'path', path: options.fromSavepoint } : undefined,
    sessionProperties: options.sessionProperties,
    autoscale: options.autoscale,
  });
  return { jobId: result.jobId, jobName, action: result.action };
}

async function submitToGateway(
  options: SampleJobOptions,
): Promise<{ jobId: string; jobName: string; action: string }> {
  const endpoints = parseLocalEndpoints();
  const statements = renderSampleJob(options);
  const jobName = sampleJobVariables(options).JOB_NAME!;
  const running = (await new FlinkRestClient({ baseUrl: endpoints.flinkRestUrl }).jobs()).filter(
    (job) => job.name === jobName && !isTerminal(job.state),
  );
  if (running.length > 0) {
    throw new SampleJobAlreadyRunningError(
      `job "${jobName}" is already running as ${running.map((job) => job.id).join(', ')}; cancel it first or pass --job-name`,
    );
  }
  const restore = options.fromSavepoint
    ? [`SET 'execution.savepoint.path' = '${options.fromSavepoint.replaceAll("'", "''")}'`]
    : [];
  const gateway = new SqlGatewayClient({ baseUrl: endpoints.sqlGatewayUrl });
  const { jobId } = await gateway.runStatements([...restore, ...statements], {
    sessionName: jobName,
    sessionProperties: options.sessionProperties,
  });
  return { jobId, jobName, action: 'submitted' };
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

/** The sample job did not get all its tasks running in time. */
export class SampleJobNotRunningError extends LocalError {}

/**
 * The running job named `jobName` (default the platform's), or, when none runs, the sample job
 * submitted through the control plane from the latest offsets (then managed: it stays). Returns once
 * every task of it runs, so that events produced next are read.
 */
export async function ensureSampleJobRunning(
  flinkRestUrl: string,
  options: Omit<SampleJobOptions, 'startupMode' | 'target'> = {},
): Promise<{ jobId: string; submitted: boolean }> {
  const jobName = options.jobName ?? platform.sampleJob.name;
  const flink = new FlinkRestClient({ baseUrl: flinkRestUrl });
  const running = (await flink.jobs()).find((job) => job.name === jobName && job.state === 'RUNNING');
  const jobId =
    running?.id ?? (await submitSampleJob({ ...options, jobName, startupMode: 'latest-offset' })).jobId;
  const ready = await waitUntil("the job's tasks to run", () => jobTasksRunning(flinkRestUrl, jobId), {
    timeoutMs: 90_000,
  });
  if (!ready)
    throw new SampleJobNotRunningError(`job ${jobId} did not get all its tasks running within 90 s`);
  return { jobId, submitted: running === undefined };
}
