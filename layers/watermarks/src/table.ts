import type { z } from '@apphub/platform';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { WatermarkStoreError } from './errors.js';

/**
 * Key layout of table `streaming_watermarks` (key `pk` string, `sk` string): one item collection per
 * dataset (`pk` = `dataset#<slug>`) holding per-partition progress, the dataset watermark and the
 * window items. Every reader and writer of the table takes its keys from here.
 */
export const watermarkTableKeys = Object.freeze({
  datasetPrefix: 'dataset#',
  dataset: (dataset: string) => `dataset#${dataset}`,
  partitionPrefix: 'partition#',
  partition: (topic: string, partition: number) => `partition#${topic}#${partition}`,
  /** The sort key of the dataset-level item (watermark and sealedThrough). */
  watermark: 'watermark',
  /** ISO-8601 UTC strings sort like the times they name, so window items come back in time order. */
  window: (windowStart: number) => `window#${new Date(windowStart).toISOString()}`,
});

/** An item's key in the watermark table. */
export interface WatermarkTableKey {
  readonly pk: string;
  readonly sk: string;
}

/** What a conditional update did: the new item when it applied, or the stored item when refused. */
export type ConditionalUpdateOutcome =
  | { readonly applied: true; readonly item: Record<string, unknown> }
  | { readonly applied: false; readonly item: Record<string, unknown> | undefined };

/** An update of one item, without the parts WatermarkTable sets itself. */
export type ItemUpdate = Omit<
  UpdateCommandInput,
  'TableName' | 'Key' | 'ReturnValues' | 'ReturnValuesOnConditionCheckFailure'
>;

/**
 * The watermark table's requests, shared by its three stores: consistent reads, queries over a
 * dataset's sort-key range (the SDK's paginator follows the pages), and the one conditional-update
 * helper every monotonic write goes through. Failures throw WatermarkStoreError naming what failed.
 */
export class WatermarkTable {
  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /**
   * An update under a condition: the new item when it applied, or the item as stored when the
   * condition refused it (DynamoDB returns it with the refusal, so no second read is needed).
   */
  async conditionalUpdate(
    key: WatermarkTableKey,
    update: ItemUpdate,
    what: string,
  ): Promise<ConditionalUpdateOutcome> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          ...update,
          TableName: this.tableName,
          Key: key,
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { applied: true, item: result.Attributes ?? {} };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { applied: false, item: error.Item ? unmarshall(error.Item) : undefined };
      }
      throw new WatermarkStoreError(`cannot ${what} in ${this.tableName}`, { cause: error });
    }
  }

  /** An unconditional update; returns the item as it was before (undefined for a new item). */
  async updateReturningOld(
    key: WatermarkTableKey,
    update: Omit<ItemUpdate, 'ConditionExpression'>,
    what: string,
  ): Promise<Record<string, unknown> | undefined> {
    const result = await this.attempt(
      () =>
        this.client.send(
          new UpdateCommand({ ...update, TableName: this.tableName, Key: key, ReturnValues: 'ALL_OLD' }),
        ),
      what,
    );
    // A new item has no old attributes (moto answers with an empty map, DynamoDB with none).
    const old = result.Attributes;
    return old === undefined || Object.keys(old).length === 0 ? undefined : old;
  }

  /** One item, read consistently. */
  async get(key: WatermarkTableKey, what: string): Promise<Record<string, unknown> | undefined> {
    const result = await this.attempt(
      () => this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true })),
      what,
    );
    return result.Item;
  }

  /** A dataset's items with sort keys in [from, to], read consistently; `filter` on other attributes. */
  async queryRange(
    dataset: string,
    range: { readonly from: string; readonly to: string },
    filter?: string,
  ): Promise<Record<string, unknown>[]> {
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        FilterExpression: filter,
        ExpressionAttributeValues: {
          ':pk': watermarkTableKeys.dataset(dataset),
          ':from': range.from,
          ':to': range.to,
        },
        ConsistentRead: true,
      },
    );
    return this.attempt(async () => {
      const items: Record<string, unknown>[] = [];
      for await (const page of pages) items.push(...(page.Items ?? []));
      return items;
    }, `query ${dataset}`);
  }

  private async attempt<Output>(call: () => Promise<Output>, what: string): Promise<Output> {
    try {
      return await call();
    } catch (error) {
      throw new WatermarkStoreError(`cannot ${what} in ${this.tableName}`, { cause: error });
    }
  }
}

/**
 * An item read from the table, parsed with `schema`; an item without the expected layout throws
 * WatermarkStoreError naming the item, the field and the table.
 */
export function parseItem<Schema extends z.ZodType>(
  schema: Schema,
  item: Record<string, unknown>,
  what: string,
  tableName: string,
): z.output<Schema> {
  const parsed = schema.safeParse(item);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new WatermarkStoreError(
    `item ${String(item.pk)}/${String(item.sk)} of ${tableName} is not ${what}: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    { cause: parsed.error },
  );
}
