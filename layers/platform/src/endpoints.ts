import { selectApphubVariables } from './env-names.js';
import { platform } from './platform.js';
import { parseWith, z } from './schema.js';

/** The APPHUB_* variables of the local stack and tools (unknown APPHUB_* names are rejected by selectApphubVariables). */
const localEnvSchema = z.strictObject({
  APPHUB_STREAMING_ENABLED: z.enum(['0', '1']).optional(),
  APPHUB_STREAM_BROKER_URL: z
    .string()
    .regex(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, 'expected host:port[,host:port]')
    .optional(),
  APPHUB_FLINK_UI_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  APPHUB_FLINK_REST_URL: z.url().optional(),
  APPHUB_SQL_GATEWAY_URL: z.url().optional(),
  APPHUB_AWS_ENDPOINT_URL: z.url().optional(),
  APPHUB_FLINK_TASKMANAGERS: z.coerce.number().int().min(1).max(8).optional(),
  APPHUB_FLINK_CHECKPOINT_INTERVAL: z
    .string()
    .regex(/^\d+\s*(ms|s|min|h)$/, 'expected e.g. "1 min", "30 s"')
    .optional(),
  APPHUB_E2E_REPO_ROOT: z.string().optional(),
  APPHUB_STACK_DIR: z.string().optional(),
});

/** Addresses and knobs of the local stack, parsed once from the environment. */
export interface LocalEndpoints {
  readonly brokers: readonly string[];
  readonly flinkUiPort: number;
  readonly flinkRestUrl: string;
  readonly sqlGatewayUrl: string;
  readonly awsEndpointUrl: string;
  readonly taskManagers: number;
  readonly checkpointInterval: string;
}

/** Parses the APPHUB_* variables of `env` into the local stack's endpoints, with platform defaults. */
export function parseLocalEndpoints(env: NodeJS.ProcessEnv = process.env): LocalEndpoints {
  const owned = selectApphubVariables(env, Object.keys(localEnvSchema.shape), 'environment');
  const parsed = parseWith(localEnvSchema, owned, 'environment');
  const uiPort = parsed.APPHUB_FLINK_UI_PORT ?? platform.ports.flinkRest;
  return Object.freeze({
    brokers: Object.freeze(
      (parsed.APPHUB_STREAM_BROKER_URL ?? `127.0.0.1:${platform.ports.kafka}`).split(','),
    ),
    flinkUiPort: uiPort,
    flinkRestUrl: stripSlash(parsed.APPHUB_FLINK_REST_URL ?? `http://127.0.0.1:${uiPort}`),
    sqlGatewayUrl: stripSlash(
      parsed.APPHUB_SQL_GATEWAY_URL ?? `http://127.0.0.1:${platform.ports.sqlGateway}`,
    ),
    awsEndpointUrl: stripSlash(
      parsed.APPHUB_AWS_ENDPOINT_URL ?? `http://127.0.0.1:${platform.ports.awsEndpoint}`,
    ),
    taskManagers: parsed.APPHUB_FLINK_TASKMANAGERS ?? platform.flink.taskManagers,
    checkpointInterval:
      parsed.APPHUB_FLINK_CHECKPOINT_INTERVAL ??
      platform.flink.settings['execution.checkpointing.interval'] ??
      '1 min',
  });
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
