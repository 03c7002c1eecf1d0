import { type KafkaClient, type KafkaConnection, openKafka } from '@apphub/kafka-client';
import {
  type AwsClients,
  ConfigInvalidError,
  createAwsClients,
  type KafkaSecurity,
  type LocalEndpoints,
  parseKafkaSecurity,
} from '@apphub/platform';
import { type StackPaths, stackPaths } from './paths.js';
import { kafkaTlsFiles } from './tls.js';

/** AWS clients for the local stack: S3 on MinIO, DynamoDB on moto, with the local credentials. */
export function localAwsClients(endpoints: LocalEndpoints): AwsClients {
  return createAwsClients(endpoints);
}

/**
 * The native stack's Kafka security, as the Flink job and the micro-batcher use it: TLS on MSK's
 * TLS port with the local CA (the MSK mode renders the same settings without a trust store file).
 */
export function localKafkaSecurity(paths: StackPaths = stackPaths()): KafkaSecurity {
  return { protocol: 'SSL', truststorePemFile: kafkaTlsFiles(paths).caPem };
}

/**
 * How a local client reaches the local broker: plaintext (the tools' listener) unless `security` says
 * otherwise, e.g. `localKafkaConnection(endpoints, id, localKafkaSecurity())` for the TLS listener
 * the pipeline uses. SASL/SCRAM credentials come from the variables the description names.
 */
export function localKafkaConnection(
  endpoints: LocalEndpoints,
  clientId = 'apphub-local',
  security: KafkaSecurity = { protocol: 'PLAINTEXT' },
  brokers: readonly string[] = security.protocol === 'PLAINTEXT' ? endpoints.brokers : endpoints.tlsBrokers,
): KafkaConnection {
  return {
    clientId,
    brokers,
    security,
    credentials:
      security.protocol === 'SASL_SSL'
        ? {
            username: process.env[security.usernameVariable] ?? '',
            password: process.env[security.passwordVariable] ?? '',
          }
        : undefined,
  };
}

/** A Kafka client of the local broker (see localKafkaConnection) that connects on its first request; close it when done. */
export function localKafka(
  endpoints: LocalEndpoints,
  clientId = 'apphub-local',
  security: KafkaSecurity = { protocol: 'PLAINTEXT' },
): KafkaClient {
  return openKafka(localKafkaConnection(endpoints, clientId, security));
}

/** Runs `work` with a local Kafka client (plaintext listener) and closes the client afterwards. */
export async function withLocalKafka<T>(
  endpoints: LocalEndpoints,
  clientId: string,
  work: (kafka: KafkaClient) => Promise<T>,
): Promise<T> {
  const kafka = localKafka(endpoints, clientId);
  try {
    return await work(kafka);
  } finally {
    await kafka.close();
  }
}

/** GET a JSON document with a short timeout; undefined when the endpoint does not answer 2xx. */
export async function getJson<T>(url: string, timeoutMs = 3_000): Promise<T | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    return (await response.json()) as T;
  } catch {
    return undefined;
  }
}

/**
 * How the pipeline's local clients (the micro-batcher's runner) reach Kafka: APPHUB_KAFKA_BOOTSTRAP_SERVERS
 * and APPHUB_KAFKA_SECURITY when set (the variables the control plane takes; compose sets them for
 * Redpanda's plaintext listener), else the native stack's TLS listener with the local CA.
 */
export function pipelineKafka(
  endpoints: LocalEndpoints,
  clientId: string,
  env: NodeJS.ProcessEnv = process.env,
): { kafka: KafkaClient; bootstrapServers: string; security: KafkaSecurity } {
  const servers = env.APPHUB_KAFKA_BOOTSTRAP_SERVERS;
  const described = env.APPHUB_KAFKA_SECURITY;
  if ((servers === undefined) !== (described === undefined)) {
    throw new ConfigInvalidError('APPHUB_KAFKA_BOOTSTRAP_SERVERS and APPHUB_KAFKA_SECURITY go together');
  }
  if (servers === undefined || described === undefined) {
    const security = localKafkaSecurity();
    return {
      kafka: localKafka(endpoints, clientId, security),
      bootstrapServers: endpoints.tlsBrokers.join(','),
      security,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(described);
  } catch (error) {
    throw new ConfigInvalidError(`APPHUB_KAFKA_SECURITY is not JSON: ${described}`, { cause: error });
  }
  const security = parseKafkaSecurity(parsed, 'APPHUB_KAFKA_SECURITY');
  const kafka = openKafka(localKafkaConnection(endpoints, clientId, security, servers.split(',')));
  return { kafka, bootstrapServers: servers, security };
}
