import { platform, tables } from '@apphub/platform';
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Admin, ITopicConfig, Kafka } from 'kafkajs';
import type { Progress } from './progress.js';

/**
 * Errors Kafka answers while a new topic's partitions are still getting a leader (all retriable in
 * Kafka's protocol): "This server does not host this topic-partition" and its kin. kafkajs names
 * error code 6 NOT_LEADER_FOR_PARTITION (Kafka renamed it NOT_LEADER_OR_FOLLOWER; kafkajs
 * src/protocol/error.js keeps the old name), seen from ListOffsets right after creation.
 */
const NOT_READY = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);

export function topicNotReady(error: unknown): boolean {
  const errors = (error as { errors?: unknown[] }).errors ?? [error];
  return errors.every((each) => NOT_READY.has(String((each as { type?: string }).type)));
}

/**
 * Creates `topics` (those that do not exist yet) and returns once every partition has a leader that
 * answers: ListOffsets reaches each partition's leader. A topic that is still getting its leaders makes
 * kafkajs fail with one of Kafka's not-ready errors even with waitForLeaders (seen under load in CI);
 * those, and only those, are retried until `timeoutMs` passes.
 */
export async function createTopicsWithLeaders(
  admin: Admin,
  topics: readonly ITopicConfig[],
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic.topic));
      if (missing.length > 0) await admin.createTopics({ waitForLeaders: true, topics: [...missing] });
      for (const topic of topics) await admin.fetchTopicOffsets(topic.topic);
      return;
    } catch (error) {
      if (!topicNotReady(error) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

/**
 * Creates the sample topics with their partitions and retention, or aligns the retention of
 * existing ones (the seed's topic hygiene: retention is set, not left to broker defaults).
 */
export async function ensureTopics(kafka: Kafka, progress: Progress): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = Object.values(platform.topics);
    const missing = wanted.filter((topic) => !existing.has(topic.name));
    if (missing.length > 0) {
      await createTopicsWithLeaders(
        admin,
        missing.map((topic) => ({
          topic: topic.name,
          numPartitions: topic.partitions,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: String(topic.retentionMs) }],
        })),
      );
      progress.detail(`created topics ${missing.map((topic) => topic.name).join(', ')}`);
    }
    await admin.alterConfigs({
      validateOnly: false,
      resources: wanted.map((topic) => ({
        type: 2, // ConfigResourceTypes.TOPIC
        name: topic.name,
        configEntries: [{ name: 'retention.ms', value: String(topic.retentionMs) }],
      })),
    });
  } finally {
    await admin.disconnect();
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
