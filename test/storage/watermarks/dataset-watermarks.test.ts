import { tables } from '@apphub/platform';
import {
  createWatermarkStore,
  listDatasetWatermarks,
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

/** A fresh table holding one item written as given, bypassing the store. */
async function tableWithItem(name: string, item: Record<string, unknown>): Promise<void> {
  await createTable(name);
  await documents.send(new PutCommand({ TableName: name, Item: item }));
}

const t0 = Date.parse('2026-12-01T10:00:00Z');

describe('listDatasetWatermarks', () => {
  it("reads back every dataset's watermark the store wrote, across scan pages, without the detail items", async () => {
    // Prepare: three datasets with watermarks, sealed ranges, partition progress and window items.
    await createTable('watermarks-listed');
    const store = createWatermarkStore(documents, 'watermarks-listed');
    for (const [index, dataset] of ['orders-1m', 'clicks-1m', 'users-1h'].entries()) {
      await store.partitions.record(dataset, {
        topic: `t-${dataset}`,
        partition: 0,
        nextOffset: 10,
        maxEventTime: t0,
        updatedAt: t0,
      });
      await store.windows.addPart(dataset, t0 - 60_000, `parts/${dataset}/a.parquet`);
      await store.watermarks.advanceWatermark(dataset, t0 - index * 60_000, t0 + index);
    }
    await store.watermarks.advanceSealedThrough('orders-1m', t0 - 120_000, t0 + 5);

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

    await tableWithItem('watermarks-bad', {
      pk: 'dataset#orders-1m',
      sk: 'watermark',
      watermark: '2026-12-01',
    });
    const failure = listDatasetWatermarks(documents, 'watermarks-bad');
    await expect(failure).rejects.toThrow(WatermarkStoreError);
    await expect(failure).rejects.toThrow(
      /^item dataset#orders-1m\/watermark of watermarks-bad is not a dataset watermark: watermark: /,
    );
  });
});

describe('the watermark stores on DynamoDB', () => {
  it('list every window and partition of a dataset when its items span more than one 1 MB page', async () => {
    // Prepare: four windows of 300 KB each (three 100 KB part keys) exceed one Query page
    // (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html).
    await createTable('watermarks-paged');
    const store = createWatermarkStore(documents, 'watermarks-paged');
    const starts = [0, 1, 2, 3].map((index) => t0 + index * 60_000);
    for (const start of starts) {
      for (const part of ['a', 'b', 'c']) {
        await store.windows.addPart('paged', start, `${part}${'x'.repeat(100_000)}`);
      }
    }
    await store.partitions.record('paged', { topic: 't', partition: 0, nextOffset: 1, updatedAt: t0 });

    // Act
    const windows = await store.windows.list('paged', t0, t0 + 3 * 60_000);
    const unsealed = await store.windows.list('paged', t0, t0 + 3 * 60_000, { unsealedOnly: true });

    // Assess
    expect(windows.map((window) => window.windowStart)).toEqual(starts);
    expect(unsealed.map((window) => window.windowStart)).toEqual(starts);
    expect(await store.partitions.list('paged')).toMatchObject([{ topic: 't', partition: 0, nextOffset: 1 }]);
  });

  it('refuses a window item that does not have the window layout, naming it', async () => {
    await tableWithItem('watermarks-bad-window', {
      pk: 'dataset#orders-1m',
      sk: 'window#2026-12-01T10:00:00.000Z',
      windowStart: 'soon',
    });
    const store = createWatermarkStore(documents, 'watermarks-bad-window');

    await expect(store.windows.get('orders-1m', t0)).rejects.toThrow(
      /^item dataset#orders-1m\/window#2026-12-01T10:00:00.000Z of watermarks-bad-window is not a window: windowStart: /,
    );
  });
});
