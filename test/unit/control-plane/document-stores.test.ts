import { JobStore, SavepointStore } from '@apphub/control-plane';
import { createAwsClients, tables } from '@apphub/platform';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMoto } from '../moto-server.js';

// Listing must follow DynamoDB's pages: a Scan or Query returns at most 1 MB per request
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Scan.html#Scan.Pagination).
// Items padded to 300 KB make four of them span two pages on moto, the local stack's DynamoDB.
let moto: MotoServer | undefined;
let clients: ReturnType<typeof createAwsClients>;
const padding = 'x'.repeat(300_000);

async function createTable(
  dynamodb: DynamoDBClient,
  schema: { tableName: string; partitionKey: string; sortKey?: string },
) {
  const keys = [schema.partitionKey, ...(schema.sortKey ? [schema.sortKey] : [])];
  await dynamodb.send(
    new CreateTableCommand({
      TableName: schema.tableName,
      KeySchema: keys.map((name, index) => ({
        AttributeName: name,
        KeyType: index === 0 ? 'HASH' : 'RANGE',
      })),
      AttributeDefinitions: keys.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

beforeAll(async () => {
  moto = await startMoto();
  clients = createAwsClients({ awsEndpointUrl: moto.endpoint });
  await createTable(clients.dynamodb, tables.jobs);
  await createTable(clients.dynamodb, tables.savepoints);
}, 60_000);

afterAll(() => {
  moto?.stop();
});

describe('JobStore and SavepointStore across DynamoDB pages', () => {
  it('lists every job and every savepoint of a job when they span more than one page', async () => {
    // Prepare
    const names = ['job-a', 'job-b', 'job-c', 'job-d'];
    for (const jobName of names) {
      await clients.documents.send(
        new PutCommand({
          TableName: tables.jobs.tableName,
          Item: { jobName, desiredState: 'stopped', padding },
        }),
      );
      await clients.documents.send(
        new PutCommand({
          TableName: tables.savepoints.tableName,
          Item: {
            jobName: 'job-a',
            savepointId: jobName,
            triggeredAt: `2026-12-0${names.indexOf(jobName) + 1}`,
            padding,
          },
        }),
      );
    }
    const firstPage = await clients.documents.send(new ScanCommand({ TableName: tables.jobs.tableName }));
    expect(firstPage.LastEvaluatedKey).toBeDefined();

    // Act
    const jobs = await new JobStore(clients.dynamodb, tables.jobs.tableName).list();
    const history = await new SavepointStore(clients.dynamodb, tables.savepoints.tableName).history('job-a');

    // Assess
    expect(jobs.map((job) => job.jobName)).toEqual(names);
    expect(history.map((savepoint) => savepoint.savepointId)).toEqual(['job-d', 'job-c', 'job-b', 'job-a']);
  });
});
