import { readFileSync } from 'node:fs';
import { decodeKafkaEvent, encodeKafkaEvent } from '@apphub/kafka-event';
import {
  encodeFailedBatch,
  FailedBatchInvalidError,
  failedBatchKey,
  parseFailedBatch,
} from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';

const fixtureText = readFileSync(
  new URL('../../fixtures/kafka-on-failure/s3-invocation-record.json', import.meta.url),
  'utf8',
);
const fixture = (): Record<string, unknown> => JSON.parse(fixtureText);
const where = 's3://failed/aws/lambda/uuid/Topic-0/2019/11/14/2019-11-14T00.38.06-abc';

/** The keys of an object and of every object inside it, as "path" strings, with each value's type. */
function shapeOf(value: unknown, path = ''): string[] {
  if (value === null) return [`${path}: null`];
  if (typeof value !== 'object') return [`${path}: ${typeof value}`];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, inner]) =>
    shapeOf(inner, path === '' ? key : `${path}.${key}`),
  );
}

/** The problem a bad object is reported with: one line, naming the object. */
function problemOf(text: string): string {
  try {
    parseFailedBatch(text, where);
  } catch (error) {
    expect(error).toBeInstanceOf(FailedBatchInvalidError);
    const message = (error as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message.startsWith(`${where} is not a Lambda failed-batch record: `)).toBe(true);
    return message.slice(`${where} is not a Lambda failed-batch record: `.length);
  }
  throw new Error('the object was accepted');
}

describe('the failed-batch fixture', () => {
  it('has exactly the fields of the documented S3 destination example', () => {
    // The example on https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html ("S3
    // destination example invocation record"), with one of its two documented conditions, its
    // comments dropped, and "<Whole Event>" replaced by an escaped MSK event.
    expect(shapeOf(fixture())).toEqual([
      'requestContext.requestId: string',
      'requestContext.functionArn: string',
      'requestContext.condition: string',
      'requestContext.approximateInvokeCount: number',
      'responseContext.statusCode: number',
      'responseContext.executedVersion: string',
      'responseContext.functionError: string',
      'version: string',
      'timestamp: string',
      'KafkaBatchInfo.batchSize: number',
      'KafkaBatchInfo.eventSourceArn: string',
      'KafkaBatchInfo.bootstrapServers: string',
      'KafkaBatchInfo.payloadSize: number',
      ...['Topic-0', 'Topic-1'].flatMap((key) =>
        ['firstRecordOffset', 'lastRecordOffset', 'firstRecordTimestamp', 'lastRecordTimestamp'].map(
          (field) => `KafkaBatchInfo.recordsInfo.${key}.${field}: string`,
        ),
      ),
      'payload: string',
    ]);
    expect(fixture()).toMatchObject({
      requestContext: {
        requestId: '316aa6d0-8154-xmpl-9af7-85d5f4a6bc81',
        condition: 'RetryAttemptsExhausted',
      },
      version: '1.0',
      timestamp: '2019-11-14T00:38:06.021Z',
    });
  });
});

describe('parseFailedBatch', () => {
  it('reads the documented record: condition, invocations, partitions and the original event', () => {
    // Act
    const batch = parseFailedBatch(fixtureText, where);

    // Assess
    expect(batch.condition).toBe('RetryAttemptsExhausted');
    expect(batch.invocations).toBe(1);
    expect(batch.failedAt).toBe('2019-11-14T00:38:06.021Z');
    expect(batch.partitions).toEqual([
      { topicPartition: 'Topic-0', records: 2, firstOffset: 41, lastOffset: 42 },
      { topicPartition: 'Topic-1', records: 2, firstOffset: 17, lastOffset: 18 },
    ]);
    expect(batch.event).toEqual(JSON.parse(fixture().payload as string));
    const records = decodeKafkaEvent(batch.event);
    expect(records.map((record) => JSON.parse(record.value!.toString('utf8')).user_id)).toEqual([
      'u-001',
      'u-004',
      'u-002',
      'u-005',
    ]);
  });

  it('reads a batch Lambda never invoked (MaximumPayloadSizeExceeded: responseContext null)', () => {
    const document = fixture();
    document.requestContext = {
      ...(document.requestContext as object),
      condition: 'MaximumPayloadSizeExceeded',
      approximateInvokeCount: 0,
    };
    document.responseContext = null;

    const batch = parseFailedBatch(JSON.stringify(document), where);

    expect(batch.condition).toBe('MaximumPayloadSizeExceeded');
    expect(batch.invocations).toBe(0);
  });

  it('names the object and what is wrong with a bad one, in one line', () => {
    const without = (field: string) => {
      const document = fixture();
      delete document[field];
      return JSON.stringify(document);
    };
    const withPayload = (payload: unknown) => JSON.stringify({ ...fixture(), payload });
    const event = JSON.parse(fixture().payload as string);

    expect(problemOf('{"requestContext": ')).toMatch(/^not JSON \(/);
    expect(problemOf('[]')).toMatch(/^\(root\): /);
    expect(problemOf(without('payload'))).toBe(
      'payload: is missing: only an S3 destination keeps the batch (an SQS or SNS record holds offsets only)',
    );
    expect(problemOf(withPayload(event))).toBe('payload: expected the original event as a JSON string');
    expect(problemOf(withPayload('{"eventSource"'))).toMatch(/^payload: not JSON \(/);
    expect(problemOf(withPayload(JSON.stringify({ ...event, eventSource: 'aws:sqs' })))).toMatch(
      /^payload: Kafka event is invalid: eventSource: /,
    );
    const badRecord = structuredClone(event);
    badRecord.records['Topic-1'][0].offset = -1;
    expect(problemOf(withPayload(JSON.stringify(badRecord)))).toBe(
      'payload: Kafka event is invalid: records.Topic-1.0.offset: expected a non-negative integer',
    );
    const onePartition = { ...event, records: { 'Topic-0': event.records['Topic-0'] } };
    expect(problemOf(withPayload(JSON.stringify(onePartition)))).toBe(
      'payload holds Topic-0 but KafkaBatchInfo.recordsInfo names Topic-0, Topic-1',
    );
    expect(
      problemOf(
        JSON.stringify({
          ...fixture(),
          requestContext: { ...(fixture().requestContext as object), condition: 'Timeout' },
        }),
      ),
    ).toMatch(/^requestContext\.condition: /);
    expect(problemOf(JSON.stringify({ ...fixture(), timestamp: 'yesterday' }))).toMatch(/^timestamp: /);
  });
});

describe('encodeFailedBatch', () => {
  const event = JSON.parse(
    JSON.stringify(
      encodeKafkaEvent(
        [40, 41, 42].map((offset) => ({
          topic: 'apphub.streaming.aggregates',
          partition: 2,
          offset,
          timestamp: Date.UTC(2026, 10, 29, 10, 0, offset),
          key: Buffer.from(`{"user_id":"u-${offset}"}`),
          value: offset === 42 ? null : Buffer.from(`{"user_id":"u-${offset}"}`),
        })),
        {
          eventSourceArn: 'arn:aws:kafka:local:000000000000:cluster/apphub-local/local',
          bootstrapServers: 'b:9092',
        },
      ),
    ),
  );
  const failure = {
    requestId: 'f0e1d2c3-0000-4000-8000-000000000001',
    functionArn: 'arn:aws:lambda:local:000000000000:function:micro-batcher',
    condition: 'RetryAttemptsExhausted' as const,
    invocations: 4,
    at: new Date('2026-11-29T10:05:07.250Z'),
  };

  it('writes the shape Lambda writes, which parses back to the same batch', () => {
    // Act
    const text = encodeFailedBatch(event, failure);

    // Assess
    const written = JSON.parse(text);
    const anyPartition = (line: string) =>
      line.replace(/recordsInfo\.(.+)\.(\w+: string)$/, 'recordsInfo.*.$2');
    const documented = shapeOf(fixture()).filter((line) => !line.includes('Topic-1'));
    expect(shapeOf(written).map(anyPartition)).toEqual(documented.map(anyPartition));
    expect(written.KafkaBatchInfo).toMatchObject({
      batchSize: 3,
      payloadSize: Buffer.byteLength(written.payload),
      recordsInfo: {
        'apphub.streaming.aggregates-2': {
          firstRecordOffset: '40',
          lastRecordOffset: '42',
          firstRecordTimestamp: '2026-11-29T10:00:40.000Z',
          lastRecordTimestamp: '2026-11-29T10:00:42.000Z',
        },
      },
    });
    const batch = parseFailedBatch(text, where);
    expect(batch.event).toEqual(event);
    expect(batch).toMatchObject({
      condition: 'RetryAttemptsExhausted',
      invocations: 4,
      failedAt: '2026-11-29T10:05:07.250Z',
    });
  });
});

describe('failedBatchKey', () => {
  it('lays keys out as Lambda documents for S3 destinations, with the topic-partition as the shard', () => {
    // aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>
    // https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html
    expect(
      failedBatchKey('e1f2', 'apphub.streaming.aggregates-2', new Date('2026-01-09T08:05:07.250Z'), 'r-1'),
    ).toBe('aws/lambda/e1f2/apphub.streaming.aggregates-2/2026/01/09/2026-01-09T08.05.07-r-1');
  });
});
