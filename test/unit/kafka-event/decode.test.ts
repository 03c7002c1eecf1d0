import { readFileSync } from 'node:fs';
import {
  decodeKafkaEvent,
  encodeKafkaEvent,
  isKafkaEvent,
  KafkaEventInvalidError,
  parseKafkaEvent,
} from '@apphub/kafka-event';
import { describe, expect, it } from 'vitest';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/kafka-events/${name}`, import.meta.url), 'utf8'));

describe('decodeKafkaEvent', () => {
  it('decodes an MSK event: base64 key and value, byte-array headers, tombstones, offset order', () => {
    // Prepare
    const event = fixture('msk-aggregates.json');

    // Act
    const records = decodeKafkaEvent(event);

    // Assess
    expect(records.map((record) => `${record.partition}:${record.offset}`)).toEqual([
      '0:15',
      '0:16',
      '0:17',
      '1:4',
    ]);
    expect(JSON.parse(records[0]!.key!.toString('utf8'))).toEqual({
      user_id: 'u-001',
      window_start: '2026-11-29T10:00:00.000Z',
    });
    expect(JSON.parse(records[0]!.value!.toString('utf8'))).toMatchObject({
      event_count: 3,
      total_value: 42.5,
    });
    expect(records[0]!.headers).toEqual([{ name: 'content-type', value: Buffer.from('application/json') }]);
    expect(records[2]!.value).toBeNull();
    expect(records[3]!.headers.map((header) => `${header.name}=${header.value.toString()}`)).toEqual([
      'trace-id=abc-123',
      'trace-id=def-456',
    ]);
  });

  it('decodes a self-managed Kafka event and maps signed Java bytes in headers to octets', () => {
    const records = decodeKafkaEvent(fixture('self-managed-aggregates.json'));
    expect(records).toHaveLength(4);
    expect([...records[0]!.headers[0]!.value]).toEqual([255, 0, 127]);
    expect(records[1]!.value!.toString()).toBe('not json at all');
  });

  it('rejects a payload that is not a Kafka event with one line naming the field', () => {
    expect(isKafkaEvent({ source: 'aws.events' })).toBe(false);
    expect(() => decodeKafkaEvent({ eventSource: 'aws:sqs', records: {} })).toThrow(KafkaEventInvalidError);
    expect(() =>
      decodeKafkaEvent({ eventSource: 'aws:kafka', records: { 't-0': [{ topic: 't', partition: 0 }] } }),
    ).toThrow(/^Kafka event is invalid: records\.t-0\.0\.offset: /);
  });

  it('encodes raw records into the event shape that decodes back to the same bytes', () => {
    // Prepare
    const raw = [
      { topic: 't', partition: 1, offset: 8, timestamp: 5, key: Buffer.from('k'), value: null },
      {
        topic: 't',
        partition: 0,
        offset: 7,
        timestamp: 4,
        key: null,
        value: Buffer.from([0, 255]),
        headers: [{ name: 'h', value: Buffer.from('v') }],
      },
    ];

    // Act
    const event = encodeKafkaEvent(raw, {
      eventSource: 'SelfManagedKafka',
      bootstrapServers: '127.0.0.1:9092',
    });
    const decoded = decodeKafkaEvent(JSON.parse(JSON.stringify(event)));

    // Assess
    expect(Object.keys(event.records).sort()).toEqual(['t-0', 't-1']);
    expect(decoded.map((record) => [record.partition, record.key, record.value, record.headers])).toEqual([
      [0, null, Buffer.from([0, 255]), [{ name: 'h', value: Buffer.from('v') }]],
      [1, Buffer.from('k'), null, []],
    ]);
  });

  it('takes as base64 exactly what the event check does, and decodes it to the same bytes', () => {
    // Prepare: texts near the edges (padding, lengths 4n+1, base64url, spaces, non-ASCII) and random
    // ones over the alphabet and some characters outside it, from a fixed seed.
    const edges = [
      '',
      'QQ',
      'QQ=',
      'QQ==',
      'QQ===',
      'QUI=',
      'QUJD',
      'QUJDR',
      'QUJD!',
      'QUJD!A==',
      'QQ==QQ==',
      'QQ=A',
      '=',
      '==',
      'Q',
      'a-b_',
      'QUJ D',
      'QUJ\nD',
      'QUJé',
      'QUJDRA',
      'QUJDRA=',
      '+/+/',
    ];
    const alphabet = 'ABCXYZabcxyz0189+/=-_ .!é';
    let seed = 42;
    const next = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed;
    };
    const random = Array.from({ length: 3_000 }, () =>
      Array.from({ length: next() % 13 }, () => alphabet[next() % alphabet.length]).join(''),
    );
    const eventWith = (key: string) => ({
      eventSource: 'aws:kafka',
      records: {
        't-0': [{ topic: 't', partition: 0, offset: 1, timestamp: 2, timestampType: 'CREATE_TIME', key }],
      },
    });
    const outcome = (check: () => unknown) => {
      try {
        check();
        return 'ok';
      } catch (error) {
        return (error as Error).message;
      }
    };

    for (const text of [...edges, ...random]) {
      // Act
      const checked = outcome(() => parseKafkaEvent(eventWith(text)));
      const decoded = outcome(() => decodeKafkaEvent(eventWith(text)));

      // Assess
      expect({ text, decoded }).toEqual({ text, decoded: checked });
      if (checked === 'ok')
        expect(decodeKafkaEvent(eventWith(text))[0]!.key).toEqual(Buffer.from(text, 'base64'));
    }
    expect(outcome(() => decodeKafkaEvent(eventWith('QUJD!')))).toBe(
      'Kafka event is invalid: records.t-0.0.key: expected base64',
    );
  });
});
