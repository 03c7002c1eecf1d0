import { encodeKafkaEvent, type KafkaEvent } from '@apphub/kafka-event';
import {
  type BatcherContext,
  type DatasetDescriptorInput,
  Lake,
  parseDatasetDescriptor,
  sampleBatcherDescriptor,
} from '@apphub/microbatcher';
import { createLogger, Metrics } from '@apphub/observability';
import { platform } from '@apphub/platform';
import { WatermarkStore } from '@apphub/watermarks';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { aws, uniqueName } from '../helpers.js';

export const bucket = platform.storage.dataLakeBucket;
export const table = platform.storage.watermarkTable;
export const documents = DynamoDBDocumentClient.from(aws.dynamodb);
export const lake = new Lake(aws.s3, bucket);
export const store = new WatermarkStore(documents, table);

/** A descriptor of the sample's shape with a unique slug (and topic), 1-minute windows, no lateness. */
export function testDescriptor(overrides: Partial<DatasetDescriptorInput> = {}) {
  const dataset = uniqueName('it-mb');
  return parseDatasetDescriptor({
    ...sampleBatcherDescriptor,
    dataset,
    topic: `${dataset}-topic`,
    windowDuration: '1 min',
    allowedLateness: '0 s',
    idleTimeout: '1 h',
    // The tests write to one or two partitions of a topic that does not exist in Kafka.
    topicPartitions: undefined,
    ...overrides,
  });
}

/** A context whose log lines and EMF lines are captured for assertions. */
export function testContext(
  descriptors: BatcherContext['descriptors'],
  options: { now?: () => number; store?: WatermarkStore } = {},
) {
  const logs: Record<string, unknown>[] = [];
  const emf: Record<string, unknown>[] = [];
  const context: BatcherContext = {
    descriptors,
    lake,
    store: options.store ?? store,
    logger: createLogger('micro-batcher-test', { sink: (line) => logs.push(JSON.parse(line)) }),
    metricsFor: (dataset) =>
      new Metrics('AppHub/Streaming', { Dataset: dataset }, (line) => emf.push(JSON.parse(line))),
    ...(options.now ? { now: options.now } : {}),
  };
  return { context, logs, emf };
}

export const minute = 60_000;
export const base = Date.UTC(2026, 10, 29, 10, 0);
export const iso = (time: number) => new Date(time).toISOString();

/** An aggregate record as Flink's upsert-kafka sink writes it (JSON key and value). */
export function aggregate(
  topic: string,
  partition: number,
  offset: number,
  user: string,
  windowMinute: number,
  count: number | null,
) {
  const windowStart = iso(base + windowMinute * minute);
  const key = Buffer.from(JSON.stringify({ user_id: user, window_start: windowStart }));
  const value =
    count === null
      ? null
      : Buffer.from(
          JSON.stringify({
            user_id: user,
            window_start: windowStart,
            window_end: iso(base + (windowMinute + 1) * minute),
            event_count: count,
            total_value: count * 2.5,
          }),
        );
  return { topic, partition, offset, timestamp: base + windowMinute * minute, key, value };
}

/** The MSK-shaped event, passed through JSON like Lambda delivers it. */
export function mskEvent(records: Parameters<typeof encodeKafkaEvent>[0]): KafkaEvent {
  return JSON.parse(
    JSON.stringify(
      encodeKafkaEvent(records, { eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/local/1' }),
    ),
  );
}

/** Keys of every object under `prefix`, in key order. */
export async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await aws.s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** Every object under `prefix`: key (relative to the prefix) → bytes as base64. */
export async function snapshotObjects(prefix: string): Promise<Record<string, string>> {
  const objects: Record<string, string> = {};
  for (const key of await listKeys(prefix)) {
    const body = await aws.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    objects[key.slice(prefix.length)] = Buffer.from(await body.Body!.transformToByteArray()).toString(
      'base64',
    );
  }
  return objects;
}

/** Every watermark-table item of a dataset, with `pk` removed and dataset names replaced by `<dataset>`. */
export async function snapshotItems(dataset: string): Promise<unknown[]> {
  const page = await documents.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `dataset#${dataset}` },
      ConsistentRead: true,
    }),
  );
  return JSON.parse(
    JSON.stringify(
      (page.Items ?? []).map(({ pk: _pk, ...item }) => item),
      (_key, value) => (value instanceof Set ? [...value].sort() : value),
    ).replaceAll(dataset, '<dataset>'),
  );
}

export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * 20 users x 6 minutes of aggregates on `topic`'s 3 partitions, each emitted twice (the upsert sink is
 * at-least-once): the second emission (count user + minute + 100) is the one a reader must see.
 */
export function twiceEmittedAggregates(topic: string): ReturnType<typeof aggregate>[] {
  const records = [];
  for (let minute = 0; minute < 6; minute++) {
    for (let user = 0; user < 20; user++) {
      const id = `u-${String(user).padStart(3, '0')}`;
      records.push(aggregate(topic, user % 3, 0, id, minute, user + minute));
      records.push(aggregate(topic, user % 3, 0, id, minute, user + minute + 100));
    }
  }
  return records;
}
