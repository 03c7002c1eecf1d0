import { PutCommand, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { allItems, DocumentTable } from '../stores.js';
import { type AutoscaleDecisionRecord, parseAutoscaleDecisionRecord } from './records.js';

/** A job's autoscaler decisions, each with its inputs: the series the next decision runs its rules over. */
export interface AutoscaleDecisionStore {
  /** Records a decision; recording the same decision again (same job and time) writes the same item. */
  put(record: AutoscaleDecisionRecord): Promise<void>;
  /** The job's decisions made at or after `since` (epoch ms), newest first. */
  since(jobName: string, since: number): Promise<AutoscaleDecisionRecord[]>;
  /** The job's newest `limit` decisions, newest first. */
  latest(jobName: string, limit: number): Promise<AutoscaleDecisionRecord[]>;
}

/**
 * Autoscaler decisions in DynamoDB (keys `jobName` + `decidedAt`, an ISO-8601 time, so a query on
 * the sort key reads them in time order); DynamoDB's TTL on `expiresAtSeconds` drops old ones.
 */
export class AutoscaleDecisionTable extends DocumentTable implements AutoscaleDecisionStore {
  async put(record: AutoscaleDecisionRecord): Promise<void> {
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: { ...record } }));
  }

  async since(jobName: string, since: number): Promise<AutoscaleDecisionRecord[]> {
    const items = await allItems(
      paginateQuery(
        { client: this.documents },
        {
          TableName: this.tableName,
          KeyConditionExpression: 'jobName = :jobName AND decidedAt >= :since',
          ExpressionAttributeValues: { ':jobName': jobName, ':since': new Date(since).toISOString() },
          ScanIndexForward: false,
          ConsistentRead: true,
        },
      ),
    );
    return items.map((item) => parseAutoscaleDecisionRecord(item, this.tableName));
  }

  async latest(jobName: string, limit: number): Promise<AutoscaleDecisionRecord[]> {
    const records: AutoscaleDecisionRecord[] = [];
    const pages = paginateQuery(
      { client: this.documents, pageSize: limit },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'jobName = :jobName',
        ExpressionAttributeValues: { ':jobName': jobName },
        ScanIndexForward: false,
        ConsistentRead: true,
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        if (records.length < limit) records.push(parseAutoscaleDecisionRecord(item, this.tableName));
      }
      if (records.length >= limit) break;
    }
    return records;
  }
}
