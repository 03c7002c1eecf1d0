import { readFileSync } from 'node:fs';
import { decodeKafkaEvent } from '@apphub/kafka-event';
import {
  convertValue,
  decodeDatasetRecord,
  parseDatasetDescriptor,
  sampleBatcherDescriptor,
} from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';

const descriptor = parseDatasetDescriptor(sampleBatcherDescriptor);
const eventRecords = (name: string) =>
  decodeKafkaEvent(
    JSON.parse(readFileSync(new URL(`../../fixtures/kafka-events/${name}`, import.meta.url), 'utf8')),
  );

describe('decodeDatasetRecord', () => {
  it('turns an aggregate into typed values: UTC millisecond timestamps, int64, decimal text, string', () => {
    const [record] = eventRecords('msk-aggregates.json');
    const outcome = decodeDatasetRecord(record!, descriptor);
    expect(outcome).toEqual({
      ok: true,
      row: {
        partition: 0,
        offset: 15,
        eventTime: Date.UTC(2026, 10, 29, 10, 0),
        deleted: false,
        values: {
          user_id: 'u-001',
          window_start: Date.UTC(2026, 10, 29, 10, 0),
          window_end: Date.UTC(2026, 10, 29, 10, 1),
          event_count: 3n,
          total_value: '42.500000000',
        },
      },
    });
  });

  it('reads a tombstone as a delete keyed by the record key', () => {
    const tombstone = eventRecords('msk-aggregates.json')[2]!;
    const outcome = decodeDatasetRecord(tombstone, descriptor);
    expect(outcome).toMatchObject({
      ok: true,
      row: {
        deleted: true,
        values: { user_id: 'u-002', window_start: Date.UTC(2026, 10, 29, 10), event_count: null },
      },
    });
  });

  it('gives one-line reasons for poison records', () => {
    const reasons = eventRecords('self-managed-aggregates.json').map((record) => {
      const outcome = decodeDatasetRecord(record, descriptor);
      return outcome.ok ? 'ok' : outcome.reason;
    });
    expect(reasons[0]).toBe('ok');
    expect(reasons[1]).toMatch(/^value is not JSON: /);
    expect(reasons[2]).toBe('value field window_start: expected timestamp, got string "yesterday"');
    expect(reasons[3]).toBe('value field event_count: expected int64, got string "many"');
    const noKey = { ...eventRecords('msk-aggregates.json')[2]!, key: null };
    expect(decodeDatasetRecord(noKey, descriptor)).toEqual({
      ok: false,
      reason: 'tombstone without a key: nothing to delete',
    });
    const missing = { ...noKey, key: Buffer.from('{"user_id":"u"}') };
    expect(decodeDatasetRecord(missing, descriptor)).toEqual({
      ok: false,
      reason: 'tombstone key field window_start is missing',
    });
  });
});

describe('convertValue', () => {
  it('accepts ISO strings with a zone or epoch milliseconds for timestamps, nothing else', () => {
    expect(convertValue('2026-11-29T10:00:00.000Z', 'timestamp')).toBe(Date.UTC(2026, 10, 29, 10));
    expect(convertValue('2026-11-29T11:00:00+01:00', 'timestamp')).toBe(Date.UTC(2026, 10, 29, 10));
    expect(convertValue(1795946400000, 'timestamp')).toBe(1795946400000);
    expect(convertValue('2026-11-29T10:00:00', 'timestamp')).toBeUndefined();
    expect(convertValue('2026-13-45T10:00:00Z', 'timestamp')).toBeUndefined();
  });

  it('gives the same verdicts for repeated and many distinct timestamps (the parse memo is bounded)', () => {
    for (let round = 0; round < 3; round++) {
      expect(convertValue('2026-11-29T10:00:00.000Z', 'timestamp')).toBe(Date.UTC(2026, 10, 29, 10));
      expect(convertValue('2026-13-45T10:00:00Z', 'timestamp')).toBeUndefined();
      expect(convertValue('2026-11-29T10:00:00', 'timestamp')).toBeUndefined();
    }
    // More distinct texts than the memo holds: each still parses to its own time.
    for (let second = 0; second < 10_000; second += 1) {
      const time = Date.UTC(2026, 10, 29) + second * 1_000;
      expect(convertValue(new Date(time).toISOString(), 'timestamp')).toBe(time);
    }
    expect(convertValue('2026-11-29T10:00:00.000Z', 'timestamp')).toBe(Date.UTC(2026, 10, 29, 10));
  });

  it('keeps int64 exact beyond 2^53 when sent as a string and rejects fractions and overflow', () => {
    expect(convertValue('9007199254740993', 'int64')).toBe(9007199254740993n);
    expect(convertValue(2.5, 'int64')).toBeUndefined();
    expect(convertValue('9223372036854775808', 'int64')).toBeUndefined();
    expect(convertValue(2 ** 31, 'int32')).toBeUndefined();
    expect(convertValue(Number.NaN, 'double')).toBeUndefined();
    expect(convertValue(1, 'boolean')).toBeUndefined();
  });
});

describe('decimals from the record text', () => {
  /** A record whose value is `text`, decoded against the sample descriptor (total_value decimal(38, 9)). */
  const decode = (text: string) =>
    decodeDatasetRecord(
      {
        ...eventRecords('msk-aggregates.json')[0]!,
        value: Buffer.from(text),
      },
      descriptor,
    );
  const value = (total: string, before = '') =>
    `{${before}"user_id":"u","window_start":"2026-11-29T10:00:00.000Z","window_end":"2026-11-29T10:01:00.000Z","event_count":1,"total_value":${total}}`;
  const total = (text: string) => {
    const outcome = decode(text);
    return outcome.ok ? outcome.row.values.total_value : outcome.reason;
  };

  it('keeps every digit JSON.parse would round, in each form Flink writes DECIMAL(38, 9)', () => {
    expect(JSON.parse('12345678901234567890.123456789')).toBe(12345678901234567000);
    expect(total(value('12345678901234567890.123456789'))).toBe('12345678901234567890.123456789');
    expect(total(value('99999999999999999999999999999.999999999'))).toBe(
      '99999999999999999999999999999.999999999',
    );
    // Without json.encode.decimal-as-plain-number Flink strips trailing zeros and may use an exponent.
    expect(total(value('1E-9'))).toBe('0.000000001');
    expect(total(value('1E+6'))).toBe('1000000.000000000');
    expect(total(value('0'))).toBe('0.000000000');
    expect(total(value('-42.1'))).toBe('-42.100000000');
    expect(total(value('"12.5"'))).toBe('12.500000000');
    expect(total(value(' 7.25 '))).toBe('7.250000000');
  });

  it('finds the number of the top-level field, whatever else the text holds', () => {
    // Nested objects, a string naming the field, escapes and a repeated key (the last wins, as in JSON.parse).
    expect(total(value('1.5', '"nested":{"total_value":2},'))).toBe('1.500000000');
    expect(total(value('1.5', '"note":"\\"total_value\\": 9",'))).toBe('1.500000000');
    expect(total(value('1.5', '"total_value":3,'))).toBe('1.500000000');
    expect(total(value('1.5', '"list":[{"total_value":4},"total_value"],'))).toBe('1.500000000');
    expect(total(`{"total\\u005fvalue":0.123456789123,${value('2.5').slice(1)}`)).toBe('2.500000000');
    expect(
      total(
        '{ "user_id" : "u" , "window_start" : "2026-11-29T10:00:00.000Z" , "window_end" : "2026-11-29T10:01:00.000Z" , "event_count" : 1 , "total_value" :\n 0.5 }',
      ),
    ).toBe('0.500000000');
  });

  it('dead-letters a decimal that does not fit the precision and scale, with the digits it had', () => {
    expect(total(value('1.0000000001'))).toBe(
      'value field total_value: number 1.0000000001 does not fit decimal(38,9): more than 9 digits after the decimal point',
    );
    expect(total(value('1E+29'))).toBe(
      'value field total_value: number 1E+29 does not fit decimal(38,9): more than 29 digits before the decimal point',
    );
    expect(total(value('"lots"'))).toBe(
      'value field total_value: string "lots" does not fit decimal(38,9): not a decimal number',
    );
    expect(total(value('true'))).toBe('value field total_value: expected decimal(38,9), got boolean true');
  });

  it('reads dates as YYYY-MM-DD and decimals given as strings or numbers', () => {
    expect(convertValue('2026-11-29', 'date')).toBe('2026-11-29');
    expect(convertValue('2026-11-31', 'date')).toBeUndefined();
    expect(convertValue(20786, 'date')).toBeUndefined();
    expect(convertValue('0.1', 'decimal(3,2)')).toBe('0.10');
    expect(convertValue(0.1, 'decimal(3,2)')).toBe('0.10');
    expect(convertValue('10.00', 'decimal(3,2)')).toBeUndefined();
  });
});
