import { connectKafka } from '@apphub/kafka-client';
import { type LocalEndpoints, platform, tables } from '@apphub/platform';
import { applyTopics, describeAction, platformTopicSpecs } from '@apphub/topics';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Progress } from './progress.js';

/**
 * The native stack's topics, by the topic manager every environment runs (@apphub/topics): creates
 * the platform's topics with their partitions and settings, raises partitions, re-applies retention
 * and the other settings on every run (the seed's topic hygiene), refuses a partition decrease, never
 * deletes a topic. Through the plaintext tools listener.
 */
export async function ensureTopics(endpoints: LocalEndpoints, progress: Progress): Promise<void> {
  const client = await connectKafka({
    clientId: 'apphub-bootstrap',
    brokers: endpoints.brokers,
    security: { protocol: 'PLAINTEXT' },
  });
  try {
    const applied = await applyTopics(client, platformTopicSpecs());
    for (const action of applied.actions) progress.detail(describeAction(action));
  } finally {
    await client.close();
  }
}

/** Creates the checkpoint, data-lake and failed-batch buckets (MinIO) and the DynamoDB tables (moto) if missing. */
export async function ensureStorage(
  clients: { s3: S3Client; dynamodb: DynamoDBClient },
  progress: Progress,
): Promise<void> {
  const { checkpointBucket, dataLakeBucket, failedBatchBucket } = platform.storage;
  for (const bucket of [checkpointBucket, dataLakeBucket, failedBatchBucket]) {
    const exists = await clients.s3.send(new HeadBucketCommand({ Bucket: bucket })).then(
      () => true,
      () => false,
    );
    if (!exists) {
      await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
      progress.detail(`created bucket s3://${bucket}`);
    }
  }
  for (const table of Object.values(tables)) {
    const exists = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table.tableName })).then(
      () => true,
      (error: unknown) => {
        if (error instanceof ResourceNotFoundException) return false;
        throw error;
      },
    );
    if (exists) continue;
    const keys = [
      { AttributeName: table.partitionKey, KeyType: 'HASH' as const },
      ...('sortKey' in table ? [{ AttributeName: table.sortKey, KeyType: 'RANGE' as const }] : []),
    ];
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: table.tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: keys,
        AttributeDefinitions: keys.map((key) => ({
          AttributeName: key.AttributeName,
          AttributeType: 'S' as const,
        })),
      }),
    );
    await waitUntilTableExists({ client: clients.dynamodb, maxWaitTime: 30 }, { TableName: table.tableName });
    progress.detail(`created DynamoDB table ${table.tableName}`);
  }
}
