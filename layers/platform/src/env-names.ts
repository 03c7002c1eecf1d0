import { ConfigInvalidError } from './errors.js';
import { parseWith, type z } from './schema.js';

/**
 * Every APPHUB_* variable the project reads, whoever reads it. Each process parses its own with
 * parseEnvironment, which rejects an APPHUB_* name missing here, so a typo (APPHUB_FLINK_REST_ULR)
 * fails loudly while a variable meant for another component (a test switch, the local stack's ports)
 * passes through.
 */
export const apphubVariableNames: ReadonlySet<string> = new Set([
  // Local stack and tools
  'APPHUB_STREAMING_ENABLED',
  'APPHUB_STREAM_BROKER_URL',
  'APPHUB_STREAM_TLS_BROKER_URL',
  'APPHUB_FLINK_UI_PORT',
  'APPHUB_FLINK_REST_URL',
  'APPHUB_SQL_GATEWAY_URL',
  'APPHUB_AWS_ENDPOINT_URL',
  'APPHUB_S3_ENDPOINT_URL',
  'APPHUB_FLINK_TASKMANAGERS',
  'APPHUB_FLINK_CHECKPOINT_INTERVAL',
  'APPHUB_E2E_REPO_ROOT',
  'APPHUB_STACK_DIR',
  'APPHUB_DEBUG',
  // Test switches
  'APPHUB_KEEP_STACK',
  'APPHUB_DISRUPTIVE_TESTS',
  // Lambda functions
  'APPHUB_DATA_LAKE_BUCKET',
  'APPHUB_WATERMARK_TABLE',
  'APPHUB_JOBS_TABLE',
  'APPHUB_SAVEPOINTS_TABLE',
  'APPHUB_LEASES_TABLE',
  'APPHUB_AUTOSCALE',
  'APPHUB_AUTOSCALE_DECISIONS_TABLE',
  'APPHUB_TASKMANAGER_CLUSTER',
  'APPHUB_TASKMANAGER_SERVICE',
  'APPHUB_TASKMANAGER_MIN_COUNT',
  'APPHUB_TASKMANAGER_MAX_COUNT',
  'APPHUB_SAVEPOINT_DIR',
  'APPHUB_CHECKPOINT_DIR',
  'APPHUB_SAVEPOINT_MAX_COUNT',
  'APPHUB_SAVEPOINT_MAX_AGE_HOURS',
  'APPHUB_SAVEPOINT_TIMEOUT_SECONDS',
  'APPHUB_RECONCILE_MAX_ATTEMPTS',
  'APPHUB_RECONCILE_BACKOFF_SECONDS',
  'APPHUB_KAFKA_BOOTSTRAP_SERVERS',
  'APPHUB_KAFKA_SECURITY',
  'APPHUB_KAFKA_SECRET_ARN',
  'APPHUB_MICRO_BATCHER_FUNCTION',
]);

/**
 * Parses the variables `schema` names from `env`, the one way every process reads its environment:
 * an APPHUB_* name in `env` that the project does not know is refused first (a typo fails loudly,
 * while a variable meant for another component passes), then the schema's own variables are parsed,
 * empty values counting as unset. Errors are one line naming `where` and the variable. Every APPHUB_*
 * variable a schema names must be in apphubVariableNames, or its first parse says so.
 */
export function parseEnvironment<Schema extends z.ZodObject>(
  schema: Schema,
  env: NodeJS.ProcessEnv,
  where: string,
): z.output<Schema> {
  const names = Object.keys(schema.shape);
  const unregistered = names.filter((name) => name.startsWith('APPHUB_') && !apphubVariableNames.has(name));
  if (unregistered.length > 0) {
    throw new Error(`${where} reads ${unregistered.join(', ')}, missing from apphubVariableNames`);
  }
  const unknown = Object.keys(env).filter(
    (name) => name.startsWith('APPHUB_') && !apphubVariableNames.has(name),
  );
  if (unknown.length > 0) {
    throw new ConfigInvalidError(
      `${where} is invalid: ${unknown.join(', ')} is not a variable of this project (check the spelling; see README)`,
    );
  }
  const own = Object.fromEntries(
    names.flatMap((name) => {
      const value = env[name];
      return value === undefined || value === '' ? [] : [[name, value]];
    }),
  );
  return parseWith(schema, own, where);
}
