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

/** Flat `key: value` lines, the form Flink's config.yaml and the image's FLINK_PROPERTIES both accept. */
export function toFlinkYaml(settings: Readonly<Record<string, string>>): string {
  return `${Object.entries(settings)
    .map(([key, value]) => `${key}: ${quoteYaml(value)}`)
    .join('\n')}\n`;
}

function quoteYaml(value: string): string {
  return /^[\w./:-]+$/.test(value) && !/^(true|false|null|~)$/i.test(value) ? value : JSON.stringify(value);
}
