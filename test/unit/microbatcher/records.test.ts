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
  it('turns an aggregate into typed values: UTC millisecond timestamps, int64, double, string', () => {
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
          total_value: 42.5,
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
