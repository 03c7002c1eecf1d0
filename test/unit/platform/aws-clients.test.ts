import { createAwsClients, LOCAL_AWS_CREDENTIALS } from '@apphub/platform';
import { describe, expect, it } from 'vitest';

describe('createAwsClients', () => {
  it('points every client at the local endpoints with the local credentials, S3 path-style', async () => {
    const clients = createAwsClients({
      awsEndpointUrl: 'http://127.0.0.1:4566',
      s3EndpointUrl: 'http://127.0.0.1:9000',
    });

    const s3Endpoint = await clients.s3.config.endpoint?.();
    const dynamodbEndpoint = await clients.dynamodb.config.endpoint?.();
    expect(`${s3Endpoint?.hostname}:${s3Endpoint?.port}`).toBe('127.0.0.1:9000');
    expect(`${dynamodbEndpoint?.hostname}:${dynamodbEndpoint?.port}`).toBe('127.0.0.1:4566');
    expect(clients.s3.config.forcePathStyle).toBe(true);
    expect(await clients.dynamodb.config.credentials()).toMatchObject(LOCAL_AWS_CREDENTIALS);
    expect(await clients.s3.config.credentials()).toMatchObject(LOCAL_AWS_CREDENTIALS);
    // The document client sends through the same DynamoDB client, so it has the same endpoint.
    expect(clients.documents.config.endpoint).toBe(clients.dynamodb.config.endpoint);
  });

  it('leaves endpoints and credentials to the SDK without an override, as in AWS', () => {
    const clients = createAwsClients({});

    expect(clients.s3.config.endpoint).toBeUndefined();
    expect(clients.dynamodb.config.endpoint).toBeUndefined();
    expect(clients.s3.config.forcePathStyle).toBe(false);
  });
});
