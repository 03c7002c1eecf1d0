import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  processKafkaEvent,
  queryDataset,
  SchemaChangeRefusedError,
  sampleBatcherDescriptor,
  schemaRecordKey,
  schemaRecordSchema,
  windowManifestSchema,
} from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../local/src/stack/index.js';
import { base, iso, lake, minute, mskEvent, store, testContext, testDescriptor } from './harness.js';

const exec = promisify(execFile);

/**
 * pyarrow reads sealed files the way the Glue table does: by column name, as the table's schema
 * (the newest descriptor's), a column missing from a file read as null.
 */
const readAsTable = `
import json, sys
import pyarrow as pa, pyarrow.dataset as ds
schema = pa.schema([
  ("user_id", pa.string()), ("window_start", pa.timestamp("ms", tz="UTC")),
  ("window_end", pa.timestamp("ms", tz="UTC")), ("event_count", pa.int64()),
  ("total_value", pa.decimal128(38, 9)), ("currency", pa.string()),
])
table = ds.dataset(sys.argv[1:], schema=schema, format="parquet").to_table()
print(json.dumps([{**row, "window_start": row["window_start"].isoformat(), "window_end": row["window_end"].isoformat(),
  "total_value": format(row["total_value"], "f")} for row in table.to_pylist()]))
`;

/** An aggregate of the sample job, with `currency` when the producer already sends it. */
function aggregate(
  topic: string,
  offset: number,
  user: string,
  windowMinute: number,
  total: string,
  currency?: string,
) {
  const start = iso(base + windowMinute * minute);
  const extra = currency === undefined ? '' : `,"currency":"${currency}"`;
  return {
    topic,
    partition: 0,
    offset,
    timestamp: base + windowMinute * minute,
    key: Buffer.from(JSON.stringify({ user_id: user, window_start: start })),
    value: Buffer.from(
      `{"user_id":"${user}","window_start":"${start}","window_end":"${iso(base + (windowMinute + 1) * minute)}","event_count":1,"total_value":${total}${extra}}`,
    ),
  };
}

describe('a nullable column added to the sample descriptor while data flows', () => {
  it('is recorded in the lake, and old and new windows both query, through the micro-batcher and by column name', async () => {
    // Prepare: the sample's schema seals minutes 0 and 1; minute 2 stays hot with an old-schema record.
    const v1 = testDescriptor();
    const v2 = testDescriptor({
      dataset: v1.dataset,
      topic: v1.topic,
      schema: {
        fields: [
          ...sampleBatcherDescriptor.schema.fields,
          { name: 'currency', type: 'string', nullable: true },
        ],
      },
    });
    const now = () => base + 30 * minute;
    await processKafkaEvent(
      testContext([v1], { now }).context,
      mskEvent([
        aggregate(v1.topic, 0, 'u-001', 0, '12345678901234567890.123456789', 'ignored'),
        aggregate(v1.topic, 1, 'u-002', 1, '0.000000001'),
        aggregate(v1.topic, 2, 'u-003', 2, '7.500000000'),
      ]),
    );

    // Act: the function is redeployed with the new column; data keeps flowing into minutes 2-4.
    const evolved = testContext([v2], { now });
    await processKafkaEvent(
      evolved.context,
      mskEvent([
        aggregate(v2.topic, 3, 'u-004', 2, '1E-9', 'EUR'),
        aggregate(v2.topic, 4, 'u-005', 3, '2.250000000', 'USD'),
        aggregate(v2.topic, 5, 'u-006', 4, '1.000000000', 'CHF'),
      ]),
    );
    const result = await queryDataset({ lake, store }, v2, { from: base, to: base + 5 * minute });

    // Assess: the record holds both versions; every window reads as the new schema.
    const record = await lake.getJson(schemaRecordKey(v2), schemaRecordSchema);
    expect(record.versions.map((version) => version.schema.fields.length)).toEqual([5, 6]);
    expect(evolved.logs).toContainEqual(
      expect.objectContaining({
        message: 'dataset schema recorded',
        version: 2,
        changes: ['nullable field currency (string) added'],
      }),
    );
    expect(
      result.rows.map((row) => [row.status, row.values.user_id, row.values.total_value, row.values.currency]),
    ).toEqual([
      ['sealed', 'u-001', '12345678901234567890.123456789', null],
      ['sealed', 'u-002', '0.000000001', null],
      ['sealed', 'u-003', '7.500000000', null],
      ['sealed', 'u-004', '0.000000001', 'EUR'],
      ['sealed', 'u-005', '2.250000000', 'USD'],
      ['hot', 'u-006', '1.000000000', 'CHF'],
    ]);
    // The Glue table's reading: files of both schemas, as the newest one, by name.
    const directory = mkdtempSync(path.join(tmpdir(), 'apphub-evolution-'));
    try {
      const files: string[] = [];
      for (const windowMinute of [0, 2, 3]) {
        const window = await store.windows.get(v2.dataset, base + windowMinute * minute);
        const manifest = await lake.getJson(window!.manifestKey!, windowManifestSchema);
        for (const file of manifest.files) {
          const local = path.join(directory, `${windowMinute}-${path.basename(file.key)}`);
          writeFileSync(local, await lake.get(file.key));
          files.push(local);
        }
      }
      const python = path.join(repoRoot, '.cache/venv/bin/python');
      const { stdout } = await exec(python, ['-c', readAsTable, ...files]);
      expect(
        (JSON.parse(stdout) as Record<string, unknown>[])
          .map((row) => [row.user_id, row.total_value, row.currency])
          .sort(),
      ).toEqual([
        ['u-001', '12345678901234567890.123456789', null],
        ['u-003', '7.500000000', null],
        ['u-004', '0.000000001', 'EUR'],
        ['u-005', '2.250000000', 'USD'],
      ]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
    // Going back to the old descriptor would drop the column: refused, before anything is written.
    await expect(
      processKafkaEvent(
        testContext([v1], { now }).context,
        mskEvent([aggregate(v1.topic, 6, 'u-007', 4, '1')]),
      ),
    ).rejects.toThrow(
      new SchemaChangeRefusedError(
        `dataset ${v1.dataset}: field currency (nullable string) was removed; keep the old schema, or write to a new dataset name or backfill (docs/microbatcher.md#schema-evolution) (recorded in s3://${lake.bucket}/${schemaRecordKey(v1)})`,
      ),
    );
  });
});
