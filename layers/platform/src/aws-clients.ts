import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsClientSettings } from './endpoints.js';

/** The project's AWS clients: S3, DynamoDB, and the DynamoDB document client over the latter. */
export interface AwsClients {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  /** Plain JavaScript values in and out; undefined attributes are left out of written items. */
  readonly documents: DynamoDBDocumentClient;
}

/**
 * Socket timeouts of every AWS request (the SDK sets none): an endpoint that accepts the connection
 * and then stops answering (a hung process, a network partition) fails the attempt with a
 * TimeoutError after this long without data, which the SDK retries and the micro-batcher treats as
 * an outage, instead of the request waiting forever. `requestTimeout` counts idle time, not the
 * whole transfer, so a large object that keeps streaming is not cut off.
 */
export const AWS_REQUEST_TIMEOUTS = Object.freeze({ connectionTimeout: 5_000, requestTimeout: 30_000 });

/** Endpoint overrides: set only for the local stack (DynamoDB on moto, S3 on MinIO). */
export interface AwsEndpointOverrides {
  readonly awsEndpointUrl?: string | undefined;
  readonly s3EndpointUrl?: string | undefined;
}

/**
 * The one factory of the project's AWS clients (Lambdas, the local tools, tests): with an endpoint
 * override the local URL, region and credentials of awsClientSettings, without one the SDK's own
 * endpoints and default credential provider chain. Build once per process and pass the clients on.
 */
export function createAwsClients(endpoints: AwsEndpointOverrides = {}): AwsClients {
  const dynamodb = new DynamoDBClient({
    ...awsClientSettings(endpoints.awsEndpointUrl, 'dynamodb'),
    requestHandler: AWS_REQUEST_TIMEOUTS,
  });
  return {
    s3: new S3Client({
      ...awsClientSettings(endpoints.s3EndpointUrl, 's3'),
      requestHandler: AWS_REQUEST_TIMEOUTS,
    }),
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
  };
}
