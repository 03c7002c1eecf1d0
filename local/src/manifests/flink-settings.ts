import { platform, renderFlinkSettings, toFlinkYaml } from '@apphub/platform';
import { ManifestInvalidError } from './errors.js';

/** The container environments this generator renders; native is the lead's stack, ECS the CDK's. */
export type ContainerTarget = 'compose' | 'minikube';

/** Service names the Flink processes reach each other and their storage by, per environment. */
export const containerHosts = Object.freeze({
  compose: {
    jobManager: 'flink-jobmanager',
    sqlGateway: 'sql-gateway',
    redpanda: 'redpanda',
    minio: 'minio',
  },
  minikube: {
    jobManager: 'apphub-flink-jobmanager',
    sqlGateway: 'apphub-flink-sql-gateway',
    redpanda: 'apphub-redpanda',
    minio: 'apphub-minio',
  },
} satisfies Record<ContainerTarget, Record<string, string>>);

/** Where the compose demo stack keeps checkpoints inside the Flink containers (a bind mount, as in the seed). */
export const composeFlinkDataDir = '/opt/flink/demo-data';

/** Port the MinIO S3 API listens on in every container environment (MinIO's default). */
export const minioPort = 9000;

/** First port of the TaskManager RPC range: in a container each TaskManager has its own address. */
export const taskManagerRpcPort = Number(platform.ports.taskManagerRpcRange.split('-')[0]);

/**
 * Memory of the Flink processes: the same in every environment, so a job that fits natively fits in
 * a container. Containers get exactly this much memory as their limit.
 */
export const flinkProcessMemory = Object.freeze({ jobManager: '1024m', taskManager: '1536m' });

/**
 * Flink settings of a container environment: the platform settings every environment shares
 * (renderFlinkSettings) plus the container addresses and checkpoint storage. Every Flink process
 * of a container environment has its own network address, so each one serves its Prometheus
 * reporter on the JobManager's port (the native stack, where processes share a host, uses ranges).
 */
export function containerFlinkSettings(target: ContainerTarget): Record<string, string> {
  const hosts = containerHosts[target];
  const storage =
    target === 'compose'
      ? {
          // Checkpoints on the mounted demo-data folder (the seed); savepoints in MinIO, as in minikube and ECS.
          checkpointDir: `file://${composeFlinkDataDir}/checkpoints`,
          savepointDir: `s3://${platform.storage.checkpointBucket}/savepoints`,
        }
      : {
          checkpointDir: `s3://${platform.storage.checkpointBucket}/checkpoints`,
          savepointDir: `s3://${platform.storage.checkpointBucket}/savepoints`,
        };
  return renderFlinkSettings({
    jobManagerAddress: hosts.jobManager,
    restBindAddress: '0.0.0.0',
    ...storage,
    overrides: {
      'rest.address': hosts.jobManager,
      'jobmanager.bind-host': '0.0.0.0',
      'taskmanager.bind-host': '0.0.0.0',
      'blob.server.port': String(platform.ports.blobServer),
      'taskmanager.rpc.port': String(taskManagerRpcPort),
      'jobmanager.memory.process.size': flinkProcessMemory.jobManager,
      'taskmanager.memory.process.size': flinkProcessMemory.taskManager,
      'metrics.reporter.prom.port': String(platform.ports.prometheusJobManager),
      'execution.target': 'remote',
      'sql-gateway.endpoint.rest.address': hosts.sqlGateway,
      'sql-gateway.endpoint.rest.bind-address': '0.0.0.0',
      'sql-gateway.endpoint.rest.port': String(platform.ports.sqlGateway),
      'table.local-time-zone': 'UTC',
      's3.endpoint': `http://${hosts.minio}:${minioPort}`,
      's3.path.style.access': 'true',
    },
  });
}

/** FLINK_PROPERTIES for the Flink image: the same plain `key: value` lines as every config.yaml. */
export const toFlinkProperties = toFlinkYaml;

/**
 * Reads FLINK_PROPERTIES the way the Flink image's entrypoint does: each non-blank line is split at
 * its first colon, key and value trimmed, and the value taken verbatim (quotes included).
 */
export function parseFlinkProperties(flinkProperties: string): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const line of flinkProperties.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const colon = trimmed.indexOf(':');
    if (colon === -1) throw new ManifestInvalidError(`FLINK_PROPERTIES line without a colon: ${trimmed}`);
    settings[trimmed.slice(0, colon).trim()] = trimmed.slice(colon + 1).trim();
  }
  return settings;
}
