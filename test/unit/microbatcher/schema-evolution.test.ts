import {
  checkSchemaHistory,
  committedSchemaHistory,
  type DatasetDescriptorInput,
  type DatasetSchema,
  decideSchemaChange,
  LakeObjectError,
  parseDatasetDescriptor,
  RecordedSchemas,
  recordDatasetSchema,
  SchemaChangeRefusedError,
  sampleBatcherDescriptor,
  schemaOf,
  schemaRecordKey,
  schemaRecordSchema,
  windowManifestSchema,
} from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';
import { fakeDescriptor } from '../fakes/batcher-context.js';
import { InMemoryLake } from '../fakes/in-memory-lake.js';
import { InMemoryWatermarkStore } from '../fakes/in-memory-watermark-store.js';

type Field = DatasetDescriptorInput['schema']['fields'][number];

const orders = (fields: Field[], overrides: Partial<DatasetDescriptorInput> = {}) =>
  parseDatasetDescriptor({
    dataset: 'orders',
    topic: 'orders',
    schema: { fields: [{ name: 'id', type: 'string' }, { name: 'at', type: 'timestamp' }, ...fields] },
    timestampField: 'at',
    windowDuration: '1 h',
    upsertKey: ['id'],
    ...overrides,
  });
const schema = (fields: Field[], overrides: Partial<DatasetDescriptorInput> = {}): DatasetSchema =>
  schemaOf(orders(fields, overrides));
const decide = (before: DatasetSchema, after: DatasetSchema) => decideSchemaChange('orders', before, after);
const way =
  'keep the old schema, or write to a new dataset name or backfill (docs/microbatcher.md#schema-evolution)';

describe('decideSchemaChange: the one rule for schema changes', () => {
  const v1 = schema([
    { name: 'count', type: 'int32' },
    { name: 'amount', type: 'decimal(10,2)' },
  ]);

  it('allows a new nullable field, int32 to int64, a larger decimal precision and required to nullable', () => {
    expect(decide(v1, v1)).toEqual({ kind: 'unchanged' });
    expect(
      decide(
        v1,
        schema([
          { name: 'note', type: 'string', nullable: true },
          { name: 'amount', type: 'decimal(12, 2)', nullable: true },
          { name: 'count', type: 'int64' },
        ]),
      ),
    ).toEqual({
      kind: 'evolved',
      changes: [
        'field count widened from int32 to int64',
        'field amount widened from decimal(10,2) to decimal(12,2)',
        'field amount made nullable',
        'nullable field note (string) added',
      ],
    });
  });

  it('refuses every other change in one line naming the field and both types, with the way out', () => {
    const cases: [DatasetSchema, string][] = [
      [
        schema([
          { name: 'count', type: 'int32' },
          { name: 'amount', type: 'double' },
        ]),
        'field amount changed from decimal(10,2) to double, which files written as decimal(10,2) cannot be read as',
      ],
      [
        schema([
          { name: 'count', type: 'int32' },
          { name: 'amount', type: 'decimal(12,3)' },
        ]),
        'field amount changed from decimal(10,2) to decimal(12,3), which files written as decimal(10,2) cannot be read as',
      ],
      [
        schema([
          { name: 'count', type: 'int32' },
          { name: 'amount', type: 'decimal(9,2)' },
        ]),
        'field amount changed from decimal(10,2) to decimal(9,2), which files written as decimal(10,2) cannot be read as',
      ],
      [schema([{ name: 'count', type: 'int32' }]), 'field amount (decimal(10,2)) was removed'],
      [
        schema([
          { name: 'count', type: 'int32' },
          { name: 'amount', type: 'decimal(10,2)' },
          { name: 'note', type: 'string' },
        ]),
        'field note (string) was added as required, and files written before have no value for it (add it with "nullable": true)',
      ],
      [
        schema(
          [
            { name: 'count', type: 'int32' },
            { name: 'amount', type: 'decimal(10,2)' },
          ],
          {
            upsertKey: ['id', 'at'],
          },
        ),
        'upsertKey changed from [id] to [id, at], which places rows differently',
      ],
      [
        schema(
          [
            { name: 'count', type: 'int32' },
            { name: 'amount', type: 'decimal(10,2)' },
          ],
          {
            windowDuration: '10 min',
          },
        ),
        'windowDuration changed from 3600000 ms to 600000 ms, which places rows differently',
      ],
    ];
    for (const [next, what] of cases) {
      expect(decide(v1, next)).toEqual({ kind: 'refused', reason: `dataset orders: ${what}; ${way}` });
    }
    const nullable = schema([
      { name: 'count', type: 'int32', nullable: true },
      { name: 'amount', type: 'decimal(10,2)' },
    ]);
    expect(decide(nullable, v1)).toEqual({
      kind: 'refused',
      reason: `dataset orders: field count changed from nullable int32 to required int32, and files written before may hold nulls; ${way}`,
    });
  });
});

describe('the schema history committed in the repo (what synth checks)', () => {
  it('ends with the sample descriptor, decimal(38,9) total included', () => {
    const sample = parseDatasetDescriptor(sampleBatcherDescriptor);
    expect(checkSchemaHistory(sample)).toBeUndefined();
    expect(committedSchemaHistory[sample.dataset]?.at(-1)?.schema).toEqual(schemaOf(sample));
    expect(sample.schema.fields.find((field) => field.name === 'total_value')?.type).toBe('decimal(38,9)');
  });

  it('refuses a refused change of a committed dataset and asks for an allowed one to be committed', () => {
    const changed = (fields: Field[]) =>
      parseDatasetDescriptor({
        ...sampleBatcherDescriptor,
        schema: { fields: [...sampleBatcherDescriptor.schema.fields.slice(0, 4), ...fields] },
      });
    expect(checkSchemaHistory(changed([{ name: 'total_value', type: 'double' }]))).toBe(
      `dataset user-activity-1m: field total_value changed from decimal(38,9) to double, which files written as decimal(38,9) cannot be read as; ${way}`,
    );
    expect(
      checkSchemaHistory(
        changed([
          { name: 'total_value', type: 'decimal(38,9)' },
          { name: 'currency', type: 'string', nullable: true },
        ]),
      ),
    ).toBe(
      "dataset user-activity-1m: the descriptor's schema is not in layers/microbatcher/src/schema-history.json yet (nullable field currency (string) added): add it there as version 2",
    );
    expect(checkSchemaHistory(orders([]))).toBeUndefined();
  });

  it('refuses a history whose versions make a refused change', () => {
    const v1 = schema([{ name: 'count', type: 'int64' }]);
    const v2 = schema([{ name: 'count', type: 'int32' }]);
    expect(
      checkSchemaHistory(orders([{ name: 'count', type: 'int32' }]), {
        orders: [
          { version: 1, schema: v1 },
          { version: 2, schema: v2 },
        ],
      }),
    ).toBe(
      `layers/microbatcher/src/schema-history.json, version 2: dataset orders: field count changed from int64 to int32, which files written as int64 cannot be read as; ${way}`,
    );
  });
});

/** A unit dataset `dataset` of the sample's fields plus `added`. */
const withFields = (dataset: string, added: Field[]) =>
  fakeDescriptor({ dataset, schema: { fields: [...sampleBatcherDescriptor.schema.fields, ...added] } });

describe('recordDatasetSchema: the schema in force, recorded in the lake', () => {
  const context = () => ({ lake: new InMemoryLake(), store: new InMemoryWatermarkStore() });
  const now = Date.UTC(2026, 10, 29, 12);

  it('records the first version, changes nothing for the same schema, appends an allowed change', async () => {
    // Prepare
    const storage = context();
    const v1 = fakeDescriptor();
    const v2 = withFields(v1.dataset, [{ name: 'currency', type: 'string', nullable: true }]);

    // Act
    const first = await recordDatasetSchema(storage, v1, now);
    const body = await storage.lake.get(schemaRecordKey(v1));
    const same = await recordDatasetSchema(storage, v1, now + 1);
    const evolved = await recordDatasetSchema(storage, v2, now + 2);

    // Assess
    expect(first).toEqual({ version: 1, change: { kind: 'evolved', changes: ['first version recorded'] } });
    expect(same).toEqual({ version: 1, change: { kind: 'unchanged' } });
    expect(evolved).toEqual({
      version: 2,
      change: { kind: 'evolved', changes: ['nullable field currency (string) added'] },
    });
    expect(Buffer.from(body).toString('utf8')).toContain('"formatVersion": 1');
    const record = await storage.lake.getJson(schemaRecordKey(v1), schemaRecordSchema);
    expect(record.versions.map((version) => [version.version, version.source, version.recordedAt])).toEqual([
      [1, 'descriptor', '2026-11-29T12:00:00.000Z'],
      [2, 'descriptor', '2026-11-29T12:00:00.002Z'],
    ]);
    expect(record.versions[1]?.schema).toEqual(schemaOf(v2));
  });

  it('refuses a change in one line naming the field, both types and the record, and writes nothing', async () => {
    // Prepare
    const storage = context();
    const v1 = fakeDescriptor();
    await recordDatasetSchema(storage, v1, now);
    const before = await storage.lake.get(schemaRecordKey(v1));
    const narrowed = fakeDescriptor({
      dataset: v1.dataset,
      schema: {
        fields: sampleBatcherDescriptor.schema.fields.map((field) =>
          field.name === 'event_count' ? { ...field, type: 'int32' } : field,
        ),
      },
    });

    // Act and assess
    await expect(recordDatasetSchema(storage, narrowed, now)).rejects.toThrow(
      new SchemaChangeRefusedError(
        `dataset ${v1.dataset}: field event_count changed from int64 to int32, which files written as int64 cannot be read as; ${way} (recorded in s3://in-memory-lake/${schemaRecordKey(v1)})`,
      ),
    );
    expect(await storage.lake.get(schemaRecordKey(v1))).toEqual(before);
  });

  it('keeps every version when writers race: each appends after the other or finds it recorded', async () => {
    // Prepare: two functions, one with a new nullable column, start at once on a recorded dataset.
    const storage = context();
    const v1 = fakeDescriptor();
    await recordDatasetSchema(storage, v1, now);
    const v2 = withFields(v1.dataset, [{ name: 'note', type: 'string', nullable: true }]);

    // Act
    const outcomes = await Promise.all(
      [v2, v2, v2].map((descriptor) => recordDatasetSchema(storage, descriptor, now)),
    );

    // Assess
    expect(outcomes.map((outcome) => outcome.version)).toEqual([2, 2, 2]);
    const record = await storage.lake.getJson(schemaRecordKey(v1), schemaRecordSchema);
    expect(record.versions.map((version) => version.version)).toEqual([1, 2]);
  });

  it('starts a dataset with sealed data but no schema record from its newest manifest, so its change is checked', async () => {
    // Prepare: a sealed window whose manifest says total_value was a double.
    const storage = context();
    const descriptor = fakeDescriptor();
    const manifestKey = `${descriptor.prefix}/${descriptor.dataset}/manifests/window=20261129T100000Z/v000001-0123456789abcdef.json`;
    const columns = descriptor.schema.fields.map((field) =>
      field.name === 'total_value' ? { ...field, type: 'double' } : field,
    );
    await storage.lake.put(
      manifestKey,
      JSON.stringify({
        dataset: descriptor.dataset,
        version: 1,
        windowStart: '2026-11-29T10:00:00.000Z',
        windowEnd: '2026-11-29T10:01:00.000Z',
        partsHash: '0123456789abcdef',
        parts: [],
        files: [],
        rowCount: 0,
        columns,
      }),
      'application/json',
    );
    await storage.store.windows.addPart(descriptor.dataset, Date.UTC(2026, 10, 29, 10), 'part');
    await storage.store.windows.commitSeal(descriptor.dataset, Date.UTC(2026, 10, 29, 10), {
      expectedVersion: 0,
      manifestKey,
      partsHash: '0123456789abcdef',
      partCount: 1,
    });

    // Act and assess: the old manifest (no formatVersion) reads as version 1 and the change is refused.
    expect((await storage.lake.getJson(manifestKey, windowManifestSchema)).columns).toHaveLength(5);
    await expect(recordDatasetSchema(storage, descriptor, now)).rejects.toThrow(
      /field total_value changed from double to decimal\(38,9\), which files written as double cannot be read as/,
    );
    await expect(storage.lake.head(schemaRecordKey(descriptor))).resolves.toBeUndefined();
  });

  it('fails in one line naming the object for a record of an unknown format version', async () => {
    const storage = context();
    const descriptor = fakeDescriptor();
    await storage.lake.put(
      schemaRecordKey(descriptor),
      '{"formatVersion":2,"anything":true}',
      'application/json',
    );
    await expect(recordDatasetSchema(storage, descriptor, now)).rejects.toThrow(
      new LakeObjectError(
        `s3://in-memory-lake/${schemaRecordKey(descriptor)} is not a dataset schema record: formatVersion: unknown format version 2: this micro-batcher reads version 1`,
      ),
    );
  });

  it('checks each dataset once per function while it succeeds, again after a failure', async () => {
    // Prepare
    const storage = context();
    const descriptor = fakeDescriptor();
    const schemas = new RecordedSchemas();
    let heads = 0;
    const counting = {
      ...storage,
      lake: Object.assign(Object.create(storage.lake), {
        head: (key: string) => {
          heads += 1;
          return storage.lake.head(key);
        },
      }),
    };

    // Act
    await schemas.ensure(counting, descriptor, now);
    await schemas.ensure(counting, descriptor, now);
    await storage.lake.put(schemaRecordKey(descriptor), 'not json', 'application/json');
    const other = new RecordedSchemas();
    await expect(other.ensure(counting, descriptor, now)).rejects.toThrow(LakeObjectError);
    await storage.lake.expire(schemaRecordKey(descriptor));
    await other.ensure(counting, descriptor, now);

    // Assess
    expect(heads).toBe(3);
  });
});
