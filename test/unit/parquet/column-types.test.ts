import {
  canonicalDecimal,
  columnTypeOf,
  decodeParquet,
  encodeParquet,
  isIsoDate,
  isReadableAs,
  type ParquetColumn,
  type ParquetColumnType,
  ParquetDecodeError,
  ParquetValueInvalidError,
  parseColumnType,
} from '@apphub/parquet';
import { parquetMetadata } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { unscaledDecimals } from '../../support/parquet-decimals.js';

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** A value of each column type, and the type itself. */
const samples: [
  ParquetColumnType,
  Exclude<Parameters<typeof encodeParquet>[1][number][string], undefined>,
][] = [
  ['string', 'u-001'],
  ['int32', -7],
  ['int64', 9007199254740993n],
  ['double', 0.25],
  ['boolean', true],
  ['date', '2026-11-29'],
  ['timestamp', Date.UTC(2026, 10, 29, 10)],
  ['decimal(9,2)', '-1234567.89'],
  ['decimal(18,4)', '12345678901234.5678'],
  ['decimal(38,9)', '99999999999999999999999999999.999999999'],
];

describe('column types: one row each for Parquet, Athena and the query output', () => {
  it('writes every type as the Parquet physical and logical type its row names', () => {
    // Prepare
    const columns = samples.map(
      ([type], index): ParquetColumn => ({ name: `c${index}`, type, nullable: false }),
    );
    const row = Object.fromEntries(samples.map(([, value], index) => [`c${index}`, value]));

    // Act
    const bytes = encodeParquet(columns, [row]);

    // Assess: hyparquet, an independent reader, sees what columnTypes says.
    const elements = parquetMetadata(toArrayBuffer(bytes)).schema.slice(1);
    const seen = elements.map((element) => {
      const logical = element.logical_type as
        | { type: string; unit?: string; isAdjustedToUTC?: boolean; precision?: number; scale?: number }
        | undefined;
      const physical =
        element.type === 'FIXED_LEN_BYTE_ARRAY'
          ? `FIXED_LEN_BYTE_ARRAY(${element.type_length})`
          : element.type;
      const annotation =
        logical?.type === 'TIMESTAMP'
          ? `TIMESTAMP(${logical.unit},${logical.isAdjustedToUTC ? 'UTC' : 'local'})`
          : logical?.type === 'DECIMAL'
            ? `DECIMAL(${logical.precision},${logical.scale})`
            : logical?.type;
      return { physical, ...(annotation === undefined ? {} : { logical: annotation }) };
    });
    expect(seen).toEqual(columns.map((column) => columnTypeOf(column.type).parquet(column.type)));
    expect(decodeParquet(bytes).rows).toEqual([row]);
    expect(decodeParquet(bytes).columns).toEqual(columns);
  });

  it('maps each type to its Athena type and query text', () => {
    const athena = samples.map(([type]) => columnTypeOf(type).athena(type));
    expect(athena).toEqual([
      'string',
      'int',
      'bigint',
      'double',
      'boolean',
      'date',
      'timestamp',
      'decimal(9,2)',
      'decimal(18,4)',
      'decimal(38,9)',
    ]);
    const json = samples.map(([type, value]) => columnTypeOf(type).json(value!));
    expect(json).toEqual([
      'u-001',
      -7,
      '9007199254740993',
      0.25,
      true,
      '2026-11-29',
      '2026-11-29T10:00:00.000Z',
      '-1234567.89',
      '12345678901234.5678',
      '99999999999999999999999999999.999999999',
    ]);
    expect(columnTypeOf('timestamp').text(Date.UTC(2026, 10, 29, 10))).toBe('2026-11-29T10:00:00.000Z');
    expect(columnTypeOf('decimal(38,9)').text('0.000000001')).toBe('0.000000001');
  });

  it('spells types canonically and refuses unknown ones and impossible decimals', () => {
    expect(parseColumnType('decimal(38, 9)')).toEqual({ type: 'decimal(38,9)' });
    expect(parseColumnType('DECIMAL(10,2)')).toEqual({ type: 'decimal(10,2)' });
    expect(parseColumnType('decimal(5)')).toEqual({ type: 'decimal(5,0)' });
    expect(parseColumnType('date')).toEqual({ type: 'date' });
    expect(parseColumnType('float')).toEqual({
      problem: expect.stringMatching(/^expected one of string, int32/),
    });
    expect(parseColumnType('decimal(39,2)')).toEqual({ problem: 'decimal precision must be 1-38, got 39' });
    expect(parseColumnType('decimal(4,5)')).toEqual({
      problem: 'decimal scale must be at most the precision (4), got 5',
    });
  });
});

describe('decimals', () => {
  it('keeps every digit of Decimal128 values, as pyarrow and hyparquet read them, at each storage width', async () => {
    // Prepare: the extremes of each width parquet-wasm picks (INT32, INT64, 16 bytes) and small values.
    const cases: [ParquetColumnType, string[]][] = [
      ['decimal(9,2)', ['9999999.99', '-9999999.99', '0.00', '0.01', '-0.01']],
      ['decimal(18,0)', ['999999999999999999', '-999999999999999999', '9007199254740993']],
      [
        'decimal(38,9)',
        [
          '99999999999999999999999999999.999999999',
          '-99999999999999999999999999999.999999999',
          '9007199.254740993',
          '-9007199.254740992',
          '-0.000000001',
          '0.000000000',
          '18446744073.709551616',
        ],
      ],
    ];
    for (const [type, values] of cases) {
      const columns: ParquetColumn[] = [{ name: 'amount', type, nullable: true }];
      const rows = [...values.map((amount) => ({ amount })), { amount: null }];

      // Act
      const bytes = encodeParquet(columns, rows);

      // Assess
      expect(decodeParquet(bytes).rows, type).toEqual(rows);
      const unscaled = values.map((value) => BigInt(value.replace('.', '')));
      expect(await unscaledDecimals(bytes, 'amount'), type).toEqual([...unscaled, null]);
    }
  });

  it('accepts non-canonical text with fewer decimals and refuses what does not fit, naming the column', () => {
    const columns: ParquetColumn[] = [{ name: 'amount', type: 'decimal(5,2)', nullable: false }];
    expect(decodeParquet(encodeParquet(columns, [{ amount: '1.5' }, { amount: '-3' }])).rows).toEqual([
      { amount: '1.50' },
      { amount: '-3.00' },
    ]);
    expect(() => encodeParquet(columns, [{ amount: '1000.00' }])).toThrow(
      /column amount \(decimal\(5,2\)\) cannot hold 1000.00 in row 0/,
    );
    expect(() => encodeParquet(columns, [{ amount: '1.001' }])).toThrow(ParquetValueInvalidError);
    expect(() => encodeParquet(columns, [{ amount: 1.5 }])).toThrow(/cannot hold number 1.5/);
  });

  it('turns decimal text in every form Flink writes into canonical text, never rounding', () => {
    // Flink's json format (flink-json 2.2.1, JsonRowDataSerializationSchema) for DECIMAL(38, 9):
    // with decimal-as-plain-number every decimal; without, trailing zeros stripped and exponents.
    const flink: [string, string][] = [
      ['0', '0.000000000'],
      ['1E-9', '0.000000001'],
      ['1E-7', '0.000000100'],
      ['0.00000123', '0.000001230'],
      ['1.5', '1.500000000'],
      ['-1E-9', '-0.000000001'],
      ['1E+6', '1000000.000000000'],
      ['-42.1', '-42.100000000'],
      ['99999999999999999999999999999.999999999', '99999999999999999999999999999.999999999'],
      ['0.000000000', '0.000000000'],
      ['1000000.000000000', '1000000.000000000'],
      ['-0.0', '0.000000000'],
      ['12.5e-1', '1.250000000'],
      ['0.1000000000000E+1', '1.000000000'],
    ];
    for (const [text, canonical] of flink)
      expect(canonicalDecimal(text, 38, 9), text).toEqual({ value: canonical });
    expect(canonicalDecimal('1.0000000001', 38, 9)).toEqual({
      problem: 'more than 9 digits after the decimal point',
    });
    expect(canonicalDecimal('1E+29', 38, 9)).toEqual({
      problem: 'more than 29 digits before the decimal point',
    });
    expect(canonicalDecimal('1E+999999999', 38, 9)).toEqual({
      problem: 'more than 29 digits before the decimal point',
    });
    expect(canonicalDecimal('1E-999999999', 38, 9)).toEqual({
      problem: 'more than 9 digits after the decimal point',
    });
    expect(canonicalDecimal('0E-999999999', 38, 9)).toEqual({ value: '0.000000000' });
    expect(canonicalDecimal('12', 2, 0)).toEqual({ value: '12' });
    expect(canonicalDecimal('.5', 38, 9)).toEqual({ problem: 'not a decimal number' });
    expect(canonicalDecimal('NaN', 38, 9)).toEqual({ problem: 'not a decimal number' });
  });
});

describe('dates', () => {
  it('stores YYYY-MM-DD as days and accepts only calendar dates', () => {
    const columns: ParquetColumn[] = [{ name: 'day', type: 'date', nullable: true }];
    const rows = [{ day: '2026-11-29' }, { day: '1969-12-31' }, { day: '0001-01-01' }, { day: null }];
    expect(decodeParquet(encodeParquet(columns, rows)).rows).toEqual(rows);
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2026-11-29T00:00:00Z')).toBe(false);
    expect(() => encodeParquet(columns, [{ day: '2026-02-30' }])).toThrow(/day \(date\)/);
  });
});

describe('reading a file as a newer schema', () => {
  const old: ParquetColumn[] = [
    { name: 'id', type: 'string', nullable: false },
    { name: 'count', type: 'int32', nullable: false },
    { name: 'amount', type: 'decimal(10,2)', nullable: true },
  ];
  const bytes = encodeParquet(old, [
    { id: 'a', count: 3, amount: '12.50' },
    { id: 'b', count: -1, amount: null },
  ]);

  it('reads added nullable columns as null and widened ones converted, by name', () => {
    const newer: ParquetColumn[] = [
      { name: 'note', type: 'string', nullable: true },
      { name: 'amount', type: 'decimal(12,2)', nullable: true },
      { name: 'count', type: 'int64', nullable: false },
      { name: 'id', type: 'string', nullable: true },
    ];
    expect(decodeParquet(bytes, newer)).toEqual({
      columns: newer,
      rows: [
        { note: null, amount: '12.50', count: 3n, id: 'a' },
        { note: null, amount: null, count: -1n, id: 'b' },
      ],
    });
  });

  it('refuses a missing required column and a type the stored one cannot be read as', () => {
    expect(() => decodeParquet(bytes, [{ name: 'note', type: 'string', nullable: false }])).toThrow(
      'the file has no column note, which is required',
    );
    expect(() => decodeParquet(bytes, [{ name: 'count', type: 'string', nullable: false }])).toThrow(
      new ParquetDecodeError('column count is int32 in the file and cannot be read as string'),
    );
    expect(() => decodeParquet(bytes, [{ name: 'amount', type: 'decimal(12,3)', nullable: true }])).toThrow(
      /amount is decimal\(10,2\) in the file and cannot be read as decimal\(12,3\)/,
    );
  });

  it('widens exactly int32 to int64 and decimals to a larger precision of the same scale', () => {
    expect(isReadableAs('int32', 'int64')).toBe(true);
    expect(isReadableAs('int64', 'int32')).toBe(false);
    expect(isReadableAs('decimal(10,2)', 'decimal(38,2)')).toBe(true);
    expect(isReadableAs('decimal(10,2)', 'decimal(9,2)')).toBe(false);
    expect(isReadableAs('decimal(10,2)', 'decimal(11,3)')).toBe(false);
    expect(isReadableAs('int32', 'double')).toBe(false);
    expect(isReadableAs('double', 'decimal(38,9)')).toBe(false);
    expect(isReadableAs('date', 'timestamp')).toBe(false);
  });
});
