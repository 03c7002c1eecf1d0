import { tables } from '@apphub/platform';
import {
  listDatasetWatermarks,
  WatermarkStore,
  WatermarkStoreError,
  WatermarkTableMissingError,
} from '@apphub/watermarks';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { aws } from '../helpers.js';

const documents = DynamoDBDocumentClient.from(aws.dynamodb, {
  marshallOptions: { removeUndefinedValues: true },
});

/** A fresh watermark table per test, with the key schema the stacks create. */
async function createTable(name: string): Promise<void> {
  const { partitionKey, sortKey } = tables.watermarks;
  await documents.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: 'S' },
        { AttributeName: sortKey, AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
}

const t0 = Date.parse('2026-12-01T10:00:00Z');

describe('listDatasetWatermarks', () => {
  it("reads back every dataset's watermark the store wrote, across scan pages, without the detail items", async () => {
    // Prepare: three datasets with watermarks, sealed ranges, partition progress and window items.
    await createTable('watermarks-listed');
    const store = new WatermarkStore(documents, 'watermarks-listed');
    for (const [index, dataset] of ['orders-1m', 'clicks-1m', 'users-1h'].entries()) {
      await store.recordPartitionProgress(dataset, {
        topic: `t-${dataset}`,
        partition: 0,
        nextOffset: 10,
        maxEventTime: t0,
        updatedAt: t0,
      });
      await store.addWindowPart(dataset, t0 - 60_000, `parts/${dataset}/a.parquet`);
      await store.advanceWatermark(dataset, t0 - index * 60_000, t0 + index);
    }
    await store.advanceSealedThrough('orders-1m', t0 - 120_000, t0 + 5);

    // Act: one item per page, so the paginator must follow every page.
    const entries = await listDatasetWatermarks(documents, 'watermarks-listed', { pageSize: 1 });

    // Assess
    expect(entries).toEqual([
      { dataset: 'clicks-1m', watermark: t0 - 60_000, sealedThrough: undefined, updatedAt: t0 + 1 },
      { dataset: 'orders-1m', watermark: t0, sealedThrough: t0 - 120_000, updatedAt: t0 + 5 },
      { dataset: 'users-1h', watermark: t0 - 120_000, sealedThrough: undefined, updatedAt: t0 + 2 },
    ]);
  });

  it('says the table is missing, and refuses an item that does not have the dataset layout', async () => {
    await expect(listDatasetWatermarks(documents, 'no-such-table')).rejects.toThrow(
      new WatermarkTableMissingError('table no-such-table not present'),
    );

    await createTable('watermarks-bad');
    await documents.send(
      new PutCommand({
        TableName: 'watermarks-bad',
        Item: { pk: 'dataset#orders-1m', sk: 'watermark', watermark: '2026-12-01' },
      }),
    );
    const failure = listDatasetWatermarks(documents, 'watermarks-bad');
    await expect(failure).rejects.toThrow(WatermarkStoreError);
    await expect(failure).rejects.toThrow(
      /^item dataset#orders-1m\/watermark of watermarks-bad is not a dataset watermark: watermark: /,
    );
  });
});
