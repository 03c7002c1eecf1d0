import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';
import { type JobRecord, parseJobRecord, parseSavepointRecord, type SavepointRecord } from './records.js';

/** Every item of the pages a lib-dynamodb paginator (paginateScan, paginateQuery) yields. */
export async function allItems(
  pages: AsyncIterable<{ readonly Items?: Record<string, unknown>[] | undefined }>,
) {
  const items: Record<string, unknown>[] = [];
  for await (const page of pages) items.push(...(page.Items ?? []));
  return items;
}

/** One DynamoDB table through the document client; absent (undefined) attributes are left out. */
export abstract class DocumentTable {
  protected readonly documents: DynamoDBDocumentClient;

  constructor(
    dynamodb: DynamoDBClient,
    protected readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(dynamodb, {
      marshallOptions: { removeUndefinedValues: true },
    });
  }
}

/** Desired jobs in DynamoDB (partition key `jobName`). Writes are whole-item puts, so a retry is harmless. */
export class JobStore extends DocumentTable {
  async get(jobName: string): Promise<JobRecord | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: { jobName }, ConsistentRead: true }),
    );
    return result.Item ? parseJobRecord(result.Item, this.tableName) : undefined;
  }

  async list(): Promise<JobRecord[]> {
    const items = await allItems(
      paginateScan({ client: this.documents }, { TableName: this.tableName, ConsistentRead: true }),
    );
    return items
      .map((item) => parseJobRecord(item, this.tableName))
      .sort((a, b) => a.jobName.localeCompare(b.jobName));
  }

  async put(record: JobRecord): Promise<void> {
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: { ...record } }));
  }

  async delete(jobName: string): Promise<void> {
    await this.documents.send(new DeleteCommand({ TableName: this.tableName, Key: { jobName } }));
  }
}

/** Savepoint history in DynamoDB (keys `jobName` + `savepointId`). */
export class SavepointStore extends DocumentTable {
  /** A job's savepoints, newest trigger first. */
  async history(jobName: string): Promise<SavepointRecord[]> {
    const items = await allItems(
      paginateQuery(
        { client: this.documents },
        {
          TableName: this.tableName,
          KeyConditionExpression: 'jobName = :jobName',
          ExpressionAttributeValues: { ':jobName': jobName },
          ConsistentRead: true,
        },
      ),
    );
    return items
      .map((item) => parseSavepointRecord(item, this.tableName))
      .sort((a, b) => b.triggeredAt.localeCompare(a.triggeredAt));
  }

  async put(record: SavepointRecord): Promise<void> {
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: { ...record } }));
  }

  async delete(jobName: string, savepointId: string): Promise<void> {
    await this.documents.send(
      new DeleteCommand({ TableName: this.tableName, Key: { jobName, savepointId } }),
    );
  }
}
