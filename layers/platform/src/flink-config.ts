import { ConfigInvalidError } from './errors.js';
import { platform } from './platform.js';

/** Where a Flink configuration is rendered for; each environment differs only in addresses and storage. */
export interface FlinkEnvironment {
  /** Address other processes use to reach the JobManager RPC endpoint. */
  readonly jobManagerAddress: string;
  /** Address the JobManager REST endpoint binds to. */
  readonly restBindAddress: string;
  /** Directory URI (file:// or s3://) for checkpoints. */
  readonly checkpointDir: string;
  /** Directory URI for savepoints. */
  readonly savepointDir: string;
  /**
   * An S3-compatible endpoint other than AWS S3 (MinIO natively and in containers). Absent: AWS S3,
   * with credentials from the process's default AWS provider chain (the ECS task role).
   */
  readonly s3Endpoint?: S3CompatibleEndpoint;
  /** Overrides of platform settings, e.g. a checkpoint interval from the environment. */
  readonly overrides?: Readonly<Record<string, string>>;
}

/** An S3 API other than AWS S3, as Flink's S3 file systems reach it. */
export interface S3CompatibleEndpoint {
  readonly url: string;
  /** Static credentials; absent: the default AWS provider chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Key prefixes of Flink's snapshots inside the checkpoint bucket (Flink, the control plane and the CDK use them). */
export const CHECKPOINT_PREFIX = 'checkpoints';
export const SAVEPOINT_PREFIX = 'savepoints';

/** Checkpoint and savepoint directories in `bucket`, as every environment that keeps them in S3 names them. */
export function s3SnapshotDirectories(bucket: string): { checkpointDir: string; savepointDir: string } {
  return {
    checkpointDir: `s3://${bucket}/${CHECKPOINT_PREFIX}`,
    savepointDir: `s3://${bucket}/${SAVEPOINT_PREFIX}`,
  };
}

/**
 * Settings of Flink's S3 file systems (flink-s3-fs-presto, loaded as a plugin) for an S3-compatible
 * endpoint: its URL, path-style addressing (MinIO serves buckets as paths) and static credentials.
 * Without an endpoint there are none: the presto file system then uses the AWS SDK's default provider
 * chain, which includes the ECS container credentials (checked in flink-s3-fs-presto 2.2.0: with no keys
 * and `presto.s3.use-instance-credentials` unset, PrestoS3FileSystem falls back to
 * DefaultAWSCredentialsProviderChain).
 */
export function s3EndpointSettings(endpoint: S3CompatibleEndpoint | undefined): Record<string, string> {
  if (endpoint === undefined) return {};
  return {
    's3.endpoint': endpoint.url,
    's3.path.style.access': 'true',
    ...(endpoint.credentials
      ? {
          's3.access-key': endpoint.credentials.accessKeyId,
          's3.secret-key': endpoint.credentials.secretAccessKey,
        }
      : {}),
  };
}

/**
 * The Flink settings every environment shares (infra/platform.json `flink.settings`) plus the
 * environment's own addresses and storage. The same keys go into the native config.yaml, compose's
 * FLINK_PROPERTIES, the minikube ConfigMap and the ECS task definition.
 */
export function renderFlinkSettings(environment: FlinkEnvironment): Record<string, string> {
  return {
    ...platform.flink.settings,
    'jobmanager.rpc.address': environment.jobManagerAddress,
    'jobmanager.rpc.port': String(platform.ports.jobManagerRpc),
    'rest.port': String(platform.ports.flinkRest),
    'rest.bind-address': environment.restBindAddress,
    'taskmanager.numberOfTaskSlots': String(platform.flink.taskSlots),
    'parallelism.default': String(platform.flink.parallelism),
    'execution.checkpointing.dir': environment.checkpointDir,
    'execution.checkpointing.savepoint-dir': environment.savepointDir,
    ...s3EndpointSettings(environment.s3Endpoint),
    ...environment.overrides,
  };
}

/** A Flink setting that cannot travel as a plain `key: value` line. */
export class FlinkSettingInvalidError extends ConfigInvalidError {}

/**
 * Flat `key: value` lines with values unquoted: the form both Flink's config.yaml and the Flink
 * image's FLINK_PROPERTIES accept. The image's entrypoint keeps quotes as part of a value (so
 * `"1 min"` would not parse), hence values that need quoting are rejected instead of quoted.
 */
export function toFlinkYaml(settings: Readonly<Record<string, string>>): string {
  const lines = Object.entries(settings).map(([key, value]) => {
    if (value === '' || value.trim() !== value || /[\n"'#]|: /.test(value) || /^[[{&*!|>%@`]/.test(value)) {
      throw new FlinkSettingInvalidError(
        `Flink setting ${key}=${JSON.stringify(value)} cannot be written as a plain YAML value (quotes, newlines, comments or surrounding spaces)`,
      );
    }
    return `${key}: ${value}`;
  });
  return `${lines.join('\n')}\n`;
}
