import { parseEnvironment } from './env-names.js';
import { platform } from './platform.js';
import { z } from './schema.js';

/** The APPHUB_* variables of the local stack and tools (unknown APPHUB_* names are rejected by parseEnvironment). */
const localEnvSchema = z.strictObject({
  APPHUB_STREAMING_ENABLED: z.enum(['0', '1']).optional(),
  APPHUB_STREAM_BROKER_URL: z
    .string()
    .regex(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, 'expected host:port[,host:port]')
    .optional(),
  APPHUB_STREAM_TLS_BROKER_URL: z
    .string()
    .regex(/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/, 'expected host:port[,host:port]')
    .optional(),
  APPHUB_FLINK_UI_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  APPHUB_FLINK_REST_URL: z.url().optional(),
  APPHUB_SQL_GATEWAY_URL: z.url().optional(),
  APPHUB_AWS_ENDPOINT_URL: z.url().optional(),
  APPHUB_S3_ENDPOINT_URL: z.url().optional(),
  APPHUB_FLINK_TASKMANAGERS: z.coerce.number().int().min(1).max(8).optional(),
  APPHUB_FLINK_CHECKPOINT_INTERVAL: z
    .string()
    .regex(/^\d+\s*(ms|s|min|h)$/, 'expected e.g. "1 min", "30 s"')
    .optional(),
  APPHUB_E2E_REPO_ROOT: z.string().optional(),
  APPHUB_STACK_DIR: z.string().optional(),
  APPHUB_AUTOSCALE: z.string().optional(),
});

/** Addresses and knobs of the local stack, parsed once from the environment. */
export interface LocalEndpoints {
  /** The plaintext listener, for tools (`consume`, kcat, an rpk-style admin). */
  readonly brokers: readonly string[];
  /** The TLS listener (MSK's TLS port), which the Flink job and the micro-batcher use, as on MSK. */
  readonly tlsBrokers: readonly string[];
  readonly flinkUiPort: number;
  readonly flinkRestUrl: string;
  readonly sqlGatewayUrl: string;
  /** DynamoDB (moto): the AWS API endpoint of everything but S3. */
  readonly awsEndpointUrl: string;
  /** S3 (MinIO). */
  readonly s3EndpointUrl: string;
  readonly taskManagers: number;
  readonly checkpointInterval: string;
  /**
   * False when APPHUB_STREAMING_ENABLED=0: the local stack, compose and minikube start nothing.
   * Unset means enabled, as compose's `${APPHUB_STREAMING_ENABLED:-1}` and cdk.json's default.
   */
  readonly streamingEnabled: boolean;
  /**
   * The autoscaler's global settings for the native control plane, as JSON (APPHUB_AUTOSCALE; default
   * infra/platform.json `autoscale.native`). Parsed by the control plane, which names a bad key.
   */
  readonly autoscale: string;
}

/** Parses the APPHUB_* variables of `env` into the local stack's endpoints, with platform defaults. */
export function parseLocalEndpoints(env: NodeJS.ProcessEnv = process.env): LocalEndpoints {
  const parsed = parseEnvironment(localEnvSchema, env, 'environment');
  const uiPort = parsed.APPHUB_FLINK_UI_PORT ?? platform.ports.flinkRest;
  return Object.freeze({
    brokers: Object.freeze(
      (parsed.APPHUB_STREAM_BROKER_URL ?? `127.0.0.1:${platform.ports.kafka}`).split(','),
    ),
    tlsBrokers: Object.freeze(
      (parsed.APPHUB_STREAM_TLS_BROKER_URL ?? `127.0.0.1:${platform.ports.kafkaTls}`).split(','),
    ),
    flinkUiPort: uiPort,
    flinkRestUrl: stripSlash(parsed.APPHUB_FLINK_REST_URL ?? `http://127.0.0.1:${uiPort}`),
    sqlGatewayUrl: stripSlash(
      parsed.APPHUB_SQL_GATEWAY_URL ?? `http://127.0.0.1:${platform.ports.sqlGateway}`,
    ),
    awsEndpointUrl: stripSlash(
      parsed.APPHUB_AWS_ENDPOINT_URL ?? `http://127.0.0.1:${platform.ports.awsEndpoint}`,
    ),
    s3EndpointUrl: stripSlash(parsed.APPHUB_S3_ENDPOINT_URL ?? `http://127.0.0.1:${platform.ports.minio}`),
    taskManagers: parsed.APPHUB_FLINK_TASKMANAGERS ?? platform.flink.taskManagers,
    checkpointInterval:
      parsed.APPHUB_FLINK_CHECKPOINT_INTERVAL ??
      platform.flink.settings['execution.checkpointing.interval'] ??
      '1 min',
    streamingEnabled: parsed.APPHUB_STREAMING_ENABLED !== '0',
    autoscale: parsed.APPHUB_AUTOSCALE ?? JSON.stringify(platform.autoscale.native),
  });
}

/** A component of the local stack where a tool reaches it, named as a message to a user names it. */
export interface LocalComponentEndpoint {
  /** What the component is, e.g. `the DynamoDB endpoint (moto)`. */
  readonly component: string;
  /** As configured: a URL, or `host:port` for a Kafka listener. */
  readonly address: string;
  readonly host: string;
  readonly port: number;
}

/**
 * Every endpoint of the local stack a tool connects to: Kafka's plaintext and TLS listeners, the
 * Flink JobManager's REST API, the SQL Gateway, S3 (MinIO) and DynamoDB (moto).
 */
export function localComponentEndpoints(endpoints: LocalEndpoints): readonly LocalComponentEndpoint[] {
  const listener = (component: string, address: string): LocalComponentEndpoint => {
    const separator = address.lastIndexOf(':');
    return {
      component,
      address,
      host: address.slice(0, separator),
      port: Number(address.slice(separator + 1)),
    };
  };
  const service = (component: string, address: string): LocalComponentEndpoint => {
    const url = new URL(address);
    const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
    return { component, address, host: url.hostname, port };
  };
  return [
    ...endpoints.brokers.map((broker) => listener('the Kafka broker', broker)),
    ...endpoints.tlsBrokers.map((broker) => listener("the Kafka broker's TLS listener", broker)),
    service('the Flink JobManager REST API', endpoints.flinkRestUrl),
    service('the Flink SQL Gateway', endpoints.sqlGatewayUrl),
    service('the S3 endpoint (MinIO)', endpoints.s3EndpointUrl),
    service('the DynamoDB endpoint (moto)', endpoints.awsEndpointUrl),
  ];
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']);

/** The local stack's endpoint at `host`:`port` (any loopback name matches another), if one is there. */
export function findLocalEndpoint(
  endpoints: LocalEndpoints,
  target: { readonly host: string; readonly port: number },
): LocalComponentEndpoint | undefined {
  const sameHost = (host: string) =>
    host === target.host || (loopbackHosts.has(host) && loopbackHosts.has(target.host));
  return localComponentEndpoints(endpoints).find(
    (endpoint) => endpoint.port === target.port && sameHost(endpoint.host),
  );
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * Credentials of the local S3 (MinIO's root user) and DynamoDB (moto accepts any) endpoints. Only
 * used where an endpoint override is in effect; in AWS the SDK's default provider chain applies.
 */
export const LOCAL_AWS_CREDENTIALS = Object.freeze({
  accessKeyId: 'apphub-local',
  secretAccessKey: 'apphub-local-secret',
});

/**
 * AWS SDK client settings: for an endpoint override (the local stack) its URL, a region, the local
 * credentials and, for S3, path-style addressing (MinIO serves buckets as paths); without one, nothing,
 * so the SDK finds AWS's endpoints and the default credential provider chain. The one place these
 * rules live, for every client of the project.
 */
export function awsClientSettings(
  endpointUrl: string | undefined,
  service: 's3' | 'dynamodb',
): {
  endpoint?: string;
  region?: string;
  credentials?: typeof LOCAL_AWS_CREDENTIALS;
  forcePathStyle?: boolean;
} {
  if (endpointUrl === undefined) return {};
  return {
    endpoint: endpointUrl,
    region: process.env.AWS_REGION ?? 'us-east-1',
    // A copy: the SDK annotates the credentials object it is given, which fails on a frozen one.
    credentials: { ...LOCAL_AWS_CREDENTIALS },
    ...(service === 's3' ? { forcePathStyle: true } : {}),
  };
}
