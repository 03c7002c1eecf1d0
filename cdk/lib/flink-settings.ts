import { ConfigInvalidError, platform, renderFlinkSettings } from '@apphub/platform/settings';

/** Cloud Map service names inside the namespace; Lambdas and TaskManagers resolve them in the VPC. */
export const JOB_MANAGER_SERVICE_NAME = 'jobmanager';
export const SQL_GATEWAY_SERVICE_NAME = 'sql-gateway';

/** What the ECS deployment's Flink settings depend on. */
export interface EcsFlinkEnvironment {
  /** Private DNS namespace, e.g. apphub-streaming.internal. */
  readonly namespace: string;
  /** Checkpoint bucket name (a CloudFormation token in the stack). */
  readonly checkpointBucket: string;
  readonly jobManagerMemoryMiB: number;
  readonly taskManagerMemoryMiB: number;
  /** Overrides the platform's checkpoint interval, e.g. "30 s". */
  readonly checkpointInterval?: string | undefined;
}

/** Leaves room in the Fargate task for the container's own overhead beside the Flink JVM process. */
function processSize(taskMemoryMiB: number): string {
  return `${Math.floor(taskMemoryMiB * 0.85)}m`;
}

/** The DNS name a service gets in the namespace. */
export function serviceHost(service: string, namespace: string): string {
  return `${service}.${namespace}`;
}

/**
 * Flink settings of the ECS deployment: the platform's shared settings (renderFlinkSettings) with
 * addresses from Cloud Map, checkpoints and savepoints on S3, fixed ports (each Fargate task has its
 * own IP, so the platform's ranges only bound them), process sizes that fit the task memory, and
 * no job submission through the web UI.
 */
export function renderEcsFlinkSettings(environment: EcsFlinkEnvironment): Record<string, string> {
  const { ports } = platform;
  return renderFlinkSettings({
    jobManagerAddress: serviceHost(JOB_MANAGER_SERVICE_NAME, environment.namespace),
    restBindAddress: '0.0.0.0',
    checkpointDir: `s3://${environment.checkpointBucket}/checkpoints`,
    savepointDir: `s3://${environment.checkpointBucket}/savepoints`,
    overrides: {
      'rest.address': serviceHost(JOB_MANAGER_SERVICE_NAME, environment.namespace),
      'jobmanager.bind-host': '0.0.0.0',
      'taskmanager.bind-host': '0.0.0.0',
      'blob.server.port': String(ports.blobServer),
      'taskmanager.rpc.port': ports.taskManagerRpcRange,
      'taskmanager.data.port': ports.taskManagerDataRange.split('-')[0] ?? '0',
      // The JobManager fetches operator metrics for the UI from each process's metric query
      // service, on a random port by default; pinned so the security group can open it.
      'metrics.internal.query-service.port': ports.metricsQueryServiceRange,
      // Every task serves its Prometheus reporter on the same port; the sidecar scrapes localhost.
      'metrics.reporter.prom.port': String(ports.prometheusJobManager),
      'jobmanager.memory.process.size': processSize(environment.jobManagerMemoryMiB),
      'taskmanager.memory.process.size': processSize(environment.taskManagerMemoryMiB),
      // No jar upload or run through REST (the web submission extension is not loaded); the SQL
      // Gateway submits JobGraphs with POST /jobs, which stays. Native and compose keep Flink's default.
      'web.submit.enable': 'false',
      ...(environment.checkpointInterval
        ? { 'execution.checkpointing.interval': environment.checkpointInterval }
        : {}),
    },
  });
}

/**
 * The SQL Gateway's settings: the cluster's settings (jobs take their checkpointing settings from
 * the submitting client, so the gateway must carry them) plus its own endpoint and remote target.
 */
export function renderSqlGatewaySettings(
  clusterSettings: Readonly<Record<string, string>>,
  namespace: string,
): Record<string, string> {
  return {
    ...clusterSettings,
    'execution.target': 'remote',
    'sql-gateway.endpoint.rest.address': serviceHost(SQL_GATEWAY_SERVICE_NAME, namespace),
    'sql-gateway.endpoint.rest.bind-address': '0.0.0.0',
    'sql-gateway.endpoint.rest.port': String(platform.ports.sqlGateway),
  };
}

/** The checkpoint bucket expires checkpoints by age, but the Flink settings share files between checkpoints. */
export class CheckpointExpiryUnsafeError extends ConfigInvalidError {}

/**
 * Throws unless every checkpoint of `settings` writes all its files anew (the hashmap backend's full
 * snapshots, no incremental checkpoints, no file merging). Only then is expiring checkpoint objects
 * by age safe: the newest checkpoint of a running job is never older than its interval, while an
 * incremental one may still reference files of any age.
 */
export function assertSelfContainedCheckpoints(settings: Readonly<Record<string, string>>): void {
  const shared = [
    ['state.backend.type', (value?: string) => value === 'hashmap'],
    ['execution.checkpointing.incremental', (value?: string) => value !== 'true'],
    ['execution.checkpointing.file-merging.enabled', (value?: string) => value !== 'true'],
  ] as const;
  const problems = shared
    .filter(([key, selfContained]) => !selfContained(settings[key]))
    .map(([key]) => `${key}=${settings[key]}`);
  if (problems.length > 0) {
    throw new CheckpointExpiryUnsafeError(
      `The Flink settings (${problems.join(', ')}) let checkpoints share files, but the checkpoint bucket expires checkpoints by age (checkpointExpirationDays); remove that lifecycle rule before moving to incremental checkpoints or file merging`,
    );
  }
}
