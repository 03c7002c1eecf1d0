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
  const dynamodb = new DynamoDBClient(awsClientSettings(endpoints.awsEndpointUrl, 'dynamodb'));
  return {
    s3: new S3Client(awsClientSettings(endpoints.s3EndpointUrl, 's3')),
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
  };
}
