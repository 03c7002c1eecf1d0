import { ControlPlaneRecordInvalidError, JobStore, SavepointStore } from '@apphub/control-plane';
import { tables } from '@apphub/platform';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { aws as clients, uniqueName } from '../helpers.js';

// Listing must follow DynamoDB's pages: a Scan or Query returns at most 1 MB per request
// (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Scan.html#Scan.Pagination).
// Items padded to 300 KB make four of them span two pages on moto, the storage project's DynamoDB.
// Tables of their own (the stack's key schemas, fresh names), so other files' items do not count.
const jobsTable = { ...tables.jobs, tableName: uniqueName('jobs-pages') };
const savepointsTable = { ...tables.savepoints, tableName: uniqueName('savepoints-pages') };
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
  await createTable(clients.dynamodb, jobsTable);
  await createTable(clients.dynamodb, savepointsTable);
});

describe('JobStore and SavepointStore across DynamoDB pages', () => {
  it('lists every job and every savepoint of a job when they span more than one page', async () => {
    // Prepare
    const names = ['job-a', 'job-b', 'job-c', 'job-d'];
    for (const jobName of names) {
      await clients.documents.send(
        new PutCommand({
          TableName: jobsTable.tableName,
          Item: { jobName, desiredState: 'stopped', padding },
        }),
      );
      await clients.documents.send(
        new PutCommand({
          TableName: savepointsTable.tableName,
          Item: {
            jobName: 'job-a',
            savepointId: jobName,
            jobId: 'a1b2',
            status: 'COMPLETED',
            trigger: 'periodic',
            directory: 's3://checkpoints/savepoints',
            triggeredAt: `2026-12-0${names.indexOf(jobName) + 1}`,
            padding,
          },
        }),
      );
    }
    const firstPage = await clients.documents.send(new ScanCommand({ TableName: jobsTable.tableName }));
    expect(firstPage.LastEvaluatedKey).toBeDefined();

    // Act
    const jobs = await new JobStore(clients.dynamodb, jobsTable.tableName).list();
    const history = await new SavepointStore(clients.dynamodb, savepointsTable.tableName).history('job-a');

    // Assess
    expect(jobs.map((job) => job.jobName)).toEqual(names);
    expect(history.map((savepoint) => savepoint.savepointId)).toEqual(['job-d', 'job-c', 'job-b', 'job-a']);
  });

  it('fails on an item that is not a record, naming the table and the key', async () => {
    // Prepare: an item another writer left without a valid desired state
    await clients.documents.send(
      new PutCommand({
        TableName: jobsTable.tableName,
        Item: { jobName: 'job-bad', desiredState: 'paused' },
      }),
    );

    // Act
    const read = new JobStore(clients.dynamodb, jobsTable.tableName).get('job-bad');

    // Assess
    await expect(read).rejects.toThrow(ControlPlaneRecordInvalidError);
    await expect(read).rejects.toThrow(
      `item jobName=job-bad of table ${jobsTable.tableName} is not a job record`,
    );
  });
});
