import { decodeParquet, encodeParquet, type ParquetColumn, ParquetValueInvalidError } from '@apphub/parquet';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';

const columns: ParquetColumn[] = [
  { name: 'user_id', type: 'string', nullable: false },
  { name: 'window_start', type: 'timestamp', nullable: false },
  { name: 'event_count', type: 'int64', nullable: true },
  { name: 'total_value', type: 'double', nullable: true },
  { name: 'retries', type: 'int32', nullable: true },
  { name: 'active', type: 'boolean', nullable: true },
];

const rows = [
  {
    user_id: 'u-001',
    window_start: Date.UTC(2026, 10, 29, 10),
    event_count: 3n,
    total_value: 42.5,
    retries: 1,
    active: true,
  },
  {
    user_id: 'ü-ñ-😀',
    window_start: Date.UTC(2026, 10, 29, 10, 1),
    event_count: null,
    total_value: null,
    retries: null,
    active: null,
  },
  {
    user_id: 'u-003',
    window_start: Date.UTC(2026, 10, 29, 10, 2),
    event_count: 9007199254740993n,
    total_value: -0.25,
    retries: -7,
    active: false,
  },
];

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

describe('encodeParquet', () => {
  it('writes logical types an independent reader understands', async () => {
    // Act
    const bytes = encodeParquet(columns, rows);

    // Assess
    const metadata = parquetMetadata(toArrayBuffer(bytes));
    const byName = Object.fromEntries(metadata.schema.slice(1).map((element) => [element.name, element]));
    expect(byName.user_id).toMatchObject({
      type: 'BYTE_ARRAY',
      repetition_type: 'REQUIRED',
      logical_type: { type: 'STRING' },
    });
    expect(byName.window_start).toMatchObject({
      type: 'INT64',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
    });
    expect(byName.event_count).toMatchObject({ type: 'INT64', repetition_type: 'OPTIONAL' });
    expect(byName.total_value).toMatchObject({ type: 'DOUBLE' });
    expect(byName.retries).toMatchObject({ type: 'INT32' });
    expect(byName.active).toMatchObject({ type: 'BOOLEAN' });
    expect(metadata.row_groups[0]?.columns[0]?.meta_data?.codec).toBe('SNAPPY');
    const read = await parquetReadObjects({ file: toArrayBuffer(bytes) });
    expect(
      read.map((row) => [row.user_id, (row.window_start as Date).toISOString(), row.event_count]),
    ).toEqual([
      ['u-001', '2026-11-29T10:00:00.000Z', 3n],
      ['ü-ñ-😀', '2026-11-29T10:01:00.000Z', null],
      ['u-003', '2026-11-29T10:02:00.000Z', 9007199254740993n],
    ]);
  });

  it('round-trips through decodeParquet with the same columns and values', () => {
    // Act
    const decoded = decodeParquet(encodeParquet(columns, rows, { compression: 'zstd' }));

    // Assess
    expect(decoded.columns).toEqual(columns);
    expect(decoded.rows).toEqual(rows);
  });

  it('writes each string value on its own: ASCII, empty, null, and halves of a surrogate pair', () => {
    // Prepare: the halves of one emoji in two rows must not join into it (UTF-8 has no lone halves).
    const texts: ParquetColumn[] = [{ name: 'text', type: 'string', nullable: true }];
    const values = ['u-001', '', null, 'ü', '\uD83D', '\uDE00', 'z'];

    // Act
    const decoded = decodeParquet(
      encodeParquet(
        texts,
        values.map((text) => ({ text })),
      ),
    );

    // Assess
    expect(decoded.rows.map((row) => row.text)).toEqual(['u-001', '', null, 'ü', '\uFFFD', '\uFFFD', 'z']);
    expect(
      decodeParquet(encodeParquet(texts, [{ text: 'a' }, { text: '' }, { text: null }, { text: 'bc' }])).rows,
    ).toEqual([{ text: 'a' }, { text: '' }, { text: null }, { text: 'bc' }]);
  });

  it('accepts safe-integer numbers for int64 and writes an empty file for no rows', () => {
    const decoded = decodeParquet(encodeParquet(columns, [{ ...rows[0]!, event_count: 12 }]));
    expect(decoded.rows[0]?.event_count).toBe(12n);
    expect(decodeParquet(encodeParquet(columns, [])).rows).toEqual([]);
  });

  it('rejects a null in a required column and a value of the wrong type, naming the column', () => {
    expect(() => encodeParquet(columns, [{ ...rows[0]!, user_id: null }])).toThrow(
      /column user_id is required but row 0/,
    );
    expect(() => encodeParquet(columns, [{ ...rows[0]!, total_value: '1.5' }])).toThrow(
      ParquetValueInvalidError,
    );
    expect(() => encodeParquet(columns, [{ ...rows[0]!, event_count: 1.5 }])).toThrow(
      /event_count \(int64\)/,
    );
    expect(() => encodeParquet(columns, [{ ...rows[0]!, retries: 2 ** 31 }])).toThrow(/retries \(int32\)/);
  });
});
