import {
  type DatasetDescriptorInput,
  parseDatasetDescriptor,
  processKafkaEvent,
  queryDataset,
  SchemaChangeRefusedError,
  windowManifestSchema,
} from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';
import { base, iso, minute, mskEvent } from '../../support/kafka-records.js';
import { fakeBatcherContext } from '../fakes/batcher-context.js';

/** Orders with an int32 count and a decimal(10,2) amount; `fields` replaces or adds columns. */
function orders(dataset: string, fields: DatasetDescriptorInput['schema']['fields'] = []) {
  const byName = new Map(
    [
      { name: 'id', type: 'string' },
      { name: 'at', type: 'timestamp' },
      { name: 'count', type: 'int32' },
      { name: 'amount', type: 'decimal(10,2)' },
      ...fields,
    ].map((field) => [field.name, field]),
  );
  return parseDatasetDescriptor({
    dataset,
    topic: `${dataset}-topic`,
    schema: { fields: [...byName.values()] },
    timestampField: 'at',
    windowDuration: '1 min',
    idleTimeout: '1 h',
    upsertKey: ['id', 'at'],
  });
}

/** One order record (JSON key and value) at `offset` of partition 0. */
function order(topic: string, offset: number, id: string, windowMinute: number, value: string) {
  const at = iso(base + windowMinute * minute);
  return {
    topic,
    partition: 0,
    offset,
    timestamp: base + windowMinute * minute,
    key: Buffer.from(JSON.stringify({ id, at })),
    value: Buffer.from(`{"id":"${id}","at":"${at}",${value}}`),
  };
}

describe('a dataset whose schema evolves while data flows', () => {
  it('reads windows sealed under the old schema with nulls and widened values, and refuses going back', async () => {
    // Prepare: version 1 seals minute 0; minute 1 stays hot, with a record of the old schema.
    const v1 = orders(`unit-evolve-${Date.now().toString(36)}`);
    const v2 = orders(v1.dataset, [
      { name: 'count', type: 'int64' },
      { name: 'amount', type: 'decimal(12,2)' },
      { name: 'note', type: 'string', nullable: true },
    ]);
    const { context, lake, store } = fakeBatcherContext([v1]);
    await processKafkaEvent(
      context,
      mskEvent([
        order(v1.topic, 0, 'a', 0, '"count":1,"amount":12345678.91'),
        order(v1.topic, 1, 'b', 0, '"count":2,"amount":"0.10"'),
        order(v1.topic, 2, 'a', 1, '"count":3,"amount":1.5'),
      ]),
    );
    expect((await store.windows.get(v1.dataset, base))?.manifestVersion).toBe(1);
    expect((await store.windows.get(v1.dataset, base + minute))?.manifestVersion).toBe(0);

    // Act: the function is redeployed with version 2; its records carry the new column and larger values.
    const evolved = { ...context, descriptors: [v2] };
    await processKafkaEvent(
      evolved,
      mskEvent([
        order(v2.topic, 3, 'b', 1, '"count":3000000000,"amount":1234567890.12,"note":"big"'),
        order(v2.topic, 4, 'c', 2, '"count":5,"amount":1,"note":"new"'),
        order(v2.topic, 5, 'd', 3, '"count":6,"amount":2'),
      ]),
    );
    const rows = await queryDataset({ lake, store }, v2, { from: base, to: base + 3 * minute });

    // Assess: every window reads as version 2, whichever schema wrote its files.
    expect(rows.rows.map((row) => [row.status, row.values])).toEqual([
      ['sealed', { id: 'a', at: base, count: 1n, amount: '12345678.91', note: null }],
      ['sealed', { id: 'b', at: base, count: 2n, amount: '0.10', note: null }],
      ['sealed', { id: 'a', at: base + minute, count: 3n, amount: '1.50', note: null }],
      ['sealed', { id: 'b', at: base + minute, count: 3000000000n, amount: '1234567890.12', note: 'big' }],
      ['sealed', { id: 'c', at: base + 2 * minute, count: 5n, amount: '1.00', note: 'new' }],
    ]);
    const minuteOne = await store.windows.get(v2.dataset, base + minute);
    const manifest = await lake.getJson(minuteOne!.manifestKey!, windowManifestSchema);
    expect(manifest.columns.map((column) => `${column.name} ${column.type}`)).toEqual([
      'id string',
      'at timestamp',
      'count int64',
      'amount decimal(12,2)',
      'note string',
    ]);
    // A function still running version 1 may no longer write: its columns would be narrower.
    await expect(
      processKafkaEvent(context, mskEvent([order(v1.topic, 6, 'e', 3, '"count":1,"amount":1')])),
    ).rejects.toThrow(SchemaChangeRefusedError);
  });
});
