import {
  bootstrapServersSchema,
  ConfigInvalidError,
  jsonTextSchema,
  type KafkaSecurity,
  kafkaSecurityJsonSchema,
  parseEnvironment,
  platform,
  z,
} from '@apphub/platform';
import { type AutoscaleSettings, autoscaleSettingsSchema } from './autoscale/settings.js';

/** One configuration key of the control plane: its environment variable, default and meaning. */
export interface ControlPlaneSetting {
  readonly env: string;
  readonly defaultValue: string | undefined;
  readonly description: string;
}

/**
 * Every environment variable the control-plane functions read. docs/control-plane.md documents each
 * one; a unit test fails when one is missing there.
 */
export const controlPlaneSettings = {
  flinkRestUrl: {
    env: 'APPHUB_FLINK_REST_URL',
    defaultValue: undefined,
    description: 'JobManager REST API base URL, e.g. http://127.0.0.1:8081.',
  },
  sqlGatewayUrl: {
    env: 'APPHUB_SQL_GATEWAY_URL',
    defaultValue: undefined,
    description: 'SQL Gateway REST API base URL, e.g. http://127.0.0.1:8083.',
  },
  jobsTable: {
    env: 'APPHUB_JOBS_TABLE',
    defaultValue: undefined,
    description: 'DynamoDB table of desired jobs (partition key jobName).',
  },
  savepointsTable: {
    env: 'APPHUB_SAVEPOINTS_TABLE',
    defaultValue: undefined,
    description: 'DynamoDB table of savepoint history (partition key jobName, sort key savepointId).',
  },
  leasesTable: {
    env: 'APPHUB_LEASES_TABLE',
    defaultValue: undefined,
    description:
      'DynamoDB table of single-flight leases (partition key leaseName): one pass of each kind, one operation per job.',
  },
  savepointDir: {
    env: 'APPHUB_SAVEPOINT_DIR',
    defaultValue: undefined,
    description:
      'Root directory of savepoints (s3://... in AWS, file://... locally); each job gets <root>/<jobName>.',
  },
  savepointMaxCount: {
    env: 'APPHUB_SAVEPOINT_MAX_COUNT',
    defaultValue: '10',
    description: 'Completed savepoints kept per job; older ones are deleted (the newest is always kept).',
  },
  savepointMaxAgeHours: {
    env: 'APPHUB_SAVEPOINT_MAX_AGE_HOURS',
    defaultValue: '24',
    description: 'Completed savepoints older than this are deleted (the newest is always kept).',
  },
  savepointTimeoutSeconds: {
    env: 'APPHUB_SAVEPOINT_TIMEOUT_SECONDS',
    defaultValue: '300',
    description:
      'How long a savepoint may take before it is reported as failed (it stays in flight in the history).',
  },
  checkpointDir: {
    env: 'APPHUB_CHECKPOINT_DIR',
    defaultValue: undefined,
    description:
      "Root directory of checkpoints; defaults to the JobManager's execution.checkpointing.dir (read from its REST API).",
  },
  reconcileMaxAttempts: {
    env: 'APPHUB_RECONCILE_MAX_ATTEMPTS',
    defaultValue: '5',
    description: 'Resubmissions of a job that keeps failing before the reconciler gives up and reports it.',
  },
  reconcileBackoffSeconds: {
    env: 'APPHUB_RECONCILE_BACKOFF_SECONDS',
    defaultValue: '30',
    description:
      'Wait after the first resubmission; doubled after each further attempt (capped at one hour).',
  },
  kafkaBootstrapServers: {
    env: 'APPHUB_KAFKA_BOOTSTRAP_SERVERS',
    defaultValue: undefined,
    description:
      'Bootstrap servers the Flink jobs reach Kafka by (host:port,...); submitted SQL gets them as the BROKERS variable. Unset: templates must be given BROKERS themselves.',
  },
  kafkaSecurity: {
    env: 'APPHUB_KAFKA_SECURITY',
    defaultValue: undefined,
    description:
      'How the Flink jobs reach Kafka, as JSON (layers/platform/src/kafka-security.ts), e.g. {"protocol":"SSL"} for MSK; submitted SQL gets it as the KAFKA_CLIENT_OPTIONS variable. Required with APPHUB_KAFKA_BOOTSTRAP_SERVERS.',
  },
  awsEndpointUrl: {
    env: 'APPHUB_AWS_ENDPOINT_URL',
    defaultValue: undefined,
    description: 'DynamoDB endpoint override; local only (moto). Unset in AWS.',
  },
  s3EndpointUrl: {
    env: 'APPHUB_S3_ENDPOINT_URL',
    defaultValue: undefined,
    description: 'S3 endpoint override; local only (MinIO). Unset in AWS.',
  },
  autoscale: {
    env: 'APPHUB_AUTOSCALE',
    defaultValue: '{}',
    description:
      'reconcile only: the autoscaler\'s global settings as JSON (docs/control-plane.md#settings), e.g. {"enabled":true}; unset or {} leaves every job as it is.',
  },
  autoscaleDecisionsTable: {
    env: 'APPHUB_AUTOSCALE_DECISIONS_TABLE',
    defaultValue: undefined,
    description:
      'reconcile only: DynamoDB table of autoscaler decisions (partition key jobName, sort key decidedAt); required when the autoscaler is on.',
  },
  taskManagerCluster: {
    env: 'APPHUB_TASKMANAGER_CLUSTER',
    defaultValue: undefined,
    description: 'rescale only: the ECS cluster (name or ARN) of the TaskManager service.',
  },
  taskManagerService: {
    env: 'APPHUB_TASKMANAGER_SERVICE',
    defaultValue: undefined,
    description: 'rescale only: the ECS service (name or ARN) whose desired count is the TaskManager count.',
  },
  taskManagerMinCount: {
    env: 'APPHUB_TASKMANAGER_MIN_COUNT',
    defaultValue: String(platform.flink.taskManagers),
    description:
      'rescale only: fewest TaskManagers; a rescale never scales in below it (the configured count).',
  },
  taskManagerMaxCount: {
    env: 'APPHUB_TASKMANAGER_MAX_COUNT',
    defaultValue: String(2 * platform.flink.taskManagers),
    description: 'rescale only: most TaskManagers; a parallelism needing more is refused.',
  },
} as const satisfies Record<string, ControlPlaneSetting>;

const positiveInt = z.coerce.number().int().positive();

const envSchema = z.strictObject({
  APPHUB_FLINK_REST_URL: z.url(),
  APPHUB_SQL_GATEWAY_URL: z.url(),
  APPHUB_JOBS_TABLE: z.string().min(1),
  APPHUB_SAVEPOINTS_TABLE: z.string().min(1),
  APPHUB_LEASES_TABLE: z.string().min(1),
  APPHUB_SAVEPOINT_DIR: z.string().regex(/^(s3|file):\/\/.+/, 'expected s3://... or file://...'),
  APPHUB_SAVEPOINT_MAX_COUNT: positiveInt.default(
    Number(controlPlaneSettings.savepointMaxCount.defaultValue),
  ),
  APPHUB_SAVEPOINT_MAX_AGE_HOURS: z.coerce
    .number()
    .positive()
    .default(Number(controlPlaneSettings.savepointMaxAgeHours.defaultValue)),
  APPHUB_SAVEPOINT_TIMEOUT_SECONDS: positiveInt.default(
    Number(controlPlaneSettings.savepointTimeoutSeconds.defaultValue),
  ),
  APPHUB_CHECKPOINT_DIR: z
    .string()
    .regex(/^(s3|file):\/\/.+/, 'expected s3://... or file://...')
    .optional(),
  APPHUB_RECONCILE_MAX_ATTEMPTS: positiveInt.default(
    Number(controlPlaneSettings.reconcileMaxAttempts.defaultValue),
  ),
  APPHUB_RECONCILE_BACKOFF_SECONDS: z.coerce
    .number()
    .nonnegative()
    .default(Number(controlPlaneSettings.reconcileBackoffSeconds.defaultValue)),
  APPHUB_KAFKA_BOOTSTRAP_SERVERS: bootstrapServersSchema.optional(),
  APPHUB_KAFKA_SECURITY: kafkaSecurityJsonSchema.optional(),
  APPHUB_AWS_ENDPOINT_URL: z.url().optional(),
  APPHUB_S3_ENDPOINT_URL: z.url().optional(),
  APPHUB_AUTOSCALE: jsonTextSchema(autoscaleSettingsSchema, '{"enabled":true}').optional(),
  APPHUB_AUTOSCALE_DECISIONS_TABLE: z.string().min(1).optional(),
});

/** The control plane's configuration, parsed once per process. */
export interface ControlPlaneConfig {
  readonly flinkRestUrl: string;
  readonly sqlGatewayUrl: string;
  readonly jobsTable: string;
  readonly savepointsTable: string;
  readonly leasesTable: string;
  readonly savepointDir: string;
  readonly savepointRetention: SavepointRetention;
  readonly savepointTimeoutMs: number;
  readonly checkpointDir: string | undefined;
  readonly reconcile: ReconcilePolicy;
  /** How submitted jobs reach Kafka; undefined when the templates' callers supply BROKERS themselves. */
  readonly kafka: { readonly bootstrapServers: string; readonly security: KafkaSecurity } | undefined;
  readonly awsEndpointUrl: string | undefined;
  readonly s3EndpointUrl: string | undefined;
  /** The autoscaler's global settings; `enabled: false` (the default) leaves every job as it is. */
  readonly autoscale: AutoscaleSettings;
  /** Where autoscaler decisions are recorded; set whenever the autoscaler is on. */
  readonly autoscaleDecisionsTable: string | undefined;
}

/** How many completed savepoints a job keeps, and for how long. */
export interface SavepointRetention {
  readonly maxCount: number;
  readonly maxAgeMs: number;
}

/** Bounds on automatic resubmission of a job that is not running. */
export interface ReconcilePolicy {
  readonly maxAttempts: number;
  readonly backoffMs: number;
}

/**
 * Parses the control plane's APPHUB_* variables; an APPHUB_* name the project does not know is
 * rejected so a typo fails loudly. Other variables (AWS_*, LOG_LEVEL) are ignored; empty values
 * count as unset.
 */
export function parseControlPlaneConfig(env: NodeJS.ProcessEnv = process.env): ControlPlaneConfig {
  const parsed = parseEnvironment(envSchema, env, 'control-plane environment');
  const servers = parsed.APPHUB_KAFKA_BOOTSTRAP_SERVERS;
  const security = parsed.APPHUB_KAFKA_SECURITY;
  if ((servers === undefined) !== (security === undefined)) {
    throw new ConfigInvalidError(
      'control-plane environment is invalid: APPHUB_KAFKA_BOOTSTRAP_SERVERS and APPHUB_KAFKA_SECURITY go together',
    );
  }
  const autoscale = parsed.APPHUB_AUTOSCALE ?? autoscaleSettingsSchema.parse({});
  if (autoscale.enabled && !parsed.APPHUB_AUTOSCALE_DECISIONS_TABLE) {
    throw new ConfigInvalidError(
      'control-plane environment is invalid: APPHUB_AUTOSCALE_DECISIONS_TABLE is required when APPHUB_AUTOSCALE is enabled',
    );
  }
  return Object.freeze({
    flinkRestUrl: parsed.APPHUB_FLINK_REST_URL.replace(/\/+$/, ''),
    sqlGatewayUrl: parsed.APPHUB_SQL_GATEWAY_URL.replace(/\/+$/, ''),
    jobsTable: parsed.APPHUB_JOBS_TABLE,
    savepointsTable: parsed.APPHUB_SAVEPOINTS_TABLE,
    leasesTable: parsed.APPHUB_LEASES_TABLE,
    savepointDir: parsed.APPHUB_SAVEPOINT_DIR.replace(/\/+$/, ''),
    savepointRetention: {
      maxCount: parsed.APPHUB_SAVEPOINT_MAX_COUNT,
      maxAgeMs: parsed.APPHUB_SAVEPOINT_MAX_AGE_HOURS * 3_600_000,
    },
    savepointTimeoutMs: parsed.APPHUB_SAVEPOINT_TIMEOUT_SECONDS * 1000,
    checkpointDir: parsed.APPHUB_CHECKPOINT_DIR?.replace(/\/+$/, ''),
    reconcile: {
      maxAttempts: parsed.APPHUB_RECONCILE_MAX_ATTEMPTS,
      backoffMs: parsed.APPHUB_RECONCILE_BACKOFF_SECONDS * 1000,
    },
    kafka: servers && security ? { bootstrapServers: servers, security } : undefined,
    awsEndpointUrl: parsed.APPHUB_AWS_ENDPOINT_URL,
    s3EndpointUrl: parsed.APPHUB_S3_ENDPOINT_URL,
    autoscale: Object.freeze(autoscale),
    autoscaleDecisionsTable: parsed.APPHUB_AUTOSCALE_DECISIONS_TABLE,
  });
}

const taskManagerEnvSchema = z
  .strictObject({
    APPHUB_TASKMANAGER_CLUSTER: z.string().min(1),
    APPHUB_TASKMANAGER_SERVICE: z.string().min(1),
    APPHUB_TASKMANAGER_MIN_COUNT: positiveInt.default(
      Number(controlPlaneSettings.taskManagerMinCount.defaultValue),
    ),
    APPHUB_TASKMANAGER_MAX_COUNT: positiveInt.default(
      Number(controlPlaneSettings.taskManagerMaxCount.defaultValue),
    ),
  })
  .refine((env) => env.APPHUB_TASKMANAGER_MIN_COUNT <= env.APPHUB_TASKMANAGER_MAX_COUNT, {
    path: ['APPHUB_TASKMANAGER_MAX_COUNT'],
    message: 'must not be below APPHUB_TASKMANAGER_MIN_COUNT',
  });

/** Fewest and most TaskManagers a rescale may leave running. */
export interface TaskManagerBounds {
  readonly min: number;
  readonly max: number;
}

/** The ECS service of the TaskManagers and the bounds a rescale keeps to (the rescale function only). */
export interface TaskManagerServiceConfig {
  readonly cluster: string;
  readonly service: string;
  readonly bounds: TaskManagerBounds;
}

/** Parses the rescale function's APPHUB_TASKMANAGER_* variables; one line naming a bad or missing one. */
export function parseTaskManagerServiceConfig(
  env: NodeJS.ProcessEnv = process.env,
): TaskManagerServiceConfig {
  const parsed = parseEnvironment(taskManagerEnvSchema, env, 'rescale environment');
  return Object.freeze({
    cluster: parsed.APPHUB_TASKMANAGER_CLUSTER,
    service: parsed.APPHUB_TASKMANAGER_SERVICE,
    bounds: { min: parsed.APPHUB_TASKMANAGER_MIN_COUNT, max: parsed.APPHUB_TASKMANAGER_MAX_COUNT },
  });
}
