import { type BatcherContext, S3Lake } from '@apphub/microbatcher';
import { createLogger, createMetrics } from '@apphub/observability';
import { platform } from '@apphub/platform';
import { createWatermarkStore, type WatermarkStore } from '@apphub/watermarks';
import { GetObjectCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { captureEmf, type EmfLine } from '../../unit/observability/emf-capture.js';
import { aws } from '../helpers.js';

export const bucket = platform.storage.dataLakeBucket;
export const table = platform.storage.watermarkTable;
export const documents = aws.documents;
export const lake = new S3Lake(aws.s3, bucket);
export const store = createWatermarkStore(documents, table);

/**
 * A context whose log lines and EMF lines (Powertools' output on stdout) are captured for
 * assertions; the invocation's metrics are the handler's (dimension `Service` = `micro-batcher`).
 */
export function testContext(
  descriptors: BatcherContext['descriptors'],
  options: { now?: () => number; store?: WatermarkStore } = {},
) {
  const logs: Record<string, unknown>[] = [];
  const emf = captureEmf();
  const context: BatcherContext = {
    descriptors,
    lake,
    store: options.store ?? store,
    logger: createLogger('micro-batcher-test', { sink: (line) => logs.push(JSON.parse(line)) }),
    metrics: createMetrics('micro-batcher'),
    now: options.now,
  };
  return { context, logs, emf };
}

/** The values of `names` in the series of `dataset`, in the order they were published. */
export function datasetSeries(
  emf: readonly EmfLine[],
  dataset: string,
  names: readonly string[],
): [string, unknown][] {
  return emf
    .filter((line) => line.Dataset === dataset)
    .flatMap((line) =>
      names.filter((name) => name in line).map((name): [string, unknown] => [name, line[name]]),
    );
}

import { aggregate } from '../../support/kafka-records.js';

export { aggregate, base, iso, minute, mskEvent, testDescriptor } from '../../support/kafka-records.js';

/** Keys of every object under `prefix`, in key order. */
export async function listKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const page of paginateListObjectsV2({ client: aws.s3 }, { Bucket: bucket, Prefix: prefix })) {
    keys.push(...(page.Contents ?? []).map((object) => object.Key!));
  }
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
