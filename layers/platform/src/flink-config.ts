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
  /** Overrides of platform settings, e.g. a checkpoint interval from the environment. */
  readonly overrides?: Readonly<Record<string, string>>;
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
