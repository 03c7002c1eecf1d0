import type { LocalEndpoints } from '@apphub/platform';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';

/** AWS clients for the local S3 + DynamoDB endpoint (moto), with the dummy credentials it accepts. */
export function localAwsClients(endpoints: LocalEndpoints): { s3: S3Client; dynamodb: DynamoDBClient } {
  // The SDK warns on every process that Node 20 support ends in 2027; the Lambdas run on Node 22.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const common = {
    endpoint: endpoints.awsEndpointUrl,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  return { s3: new S3Client({ ...common, forcePathStyle: true }), dynamodb: new DynamoDBClient(common) };
}

/** A kafkajs client for the local broker; kafkajs' own retry chatter is silenced, errors surface as exceptions. */
export function localKafka(endpoints: LocalEndpoints, clientId = 'apphub-local'): Kafka {
  return new Kafka({
    clientId,
    brokers: [...endpoints.brokers],
    logLevel: logLevel.NOTHING,
    retry: { retries: 3, initialRetryTime: 200 },
    connectionTimeout: 3_000,
  });
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
