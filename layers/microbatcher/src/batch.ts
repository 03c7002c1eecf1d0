import { type DecodedKafkaRecord, decodeKafkaEvent } from '@apphub/kafka-event';
import { MetricName } from '@apphub/observability';
import { z } from '@apphub/platform/settings';
import { isWindowClosed, type WindowState } from '@apphub/watermarks';
import type { BatcherContext } from './batcher-context.js';
import { type DatasetDescriptor, policyOf } from './descriptor.js';
import { type Lake, mapWithLimit } from './lake.js';
import { datasetRoot, deadLetterKey, SEALED_PART_TAG } from './layout.js';
import { FORMAT_VERSION, versionedObject, type WindowManifest, windowManifestSchema } from './manifest.js';
import { BatcherMetrics, unroutedDataset } from './metrics.js';
import { PartCache } from './part-cache.js';
import { encodeHotPart, groupIntoParts, type HotPart } from './parts.js';
import { type DatasetRow, decodeDatasetRecord } from './records.js';
import { mapRequests, S3_REQUESTS_IN_FLIGHT, withRequestLimit } from './request-limit.js';
import { recordDatasetSchema } from './schema-record.js';
import { type SealingPassSummary, sealDueWindows } from './sealing-pass.js';

export interface DatasetBatchSummary extends SealingPassSummary {
  readonly records: number;
  readonly deadLetters: number;
  readonly lateRecords: number;
  readonly partsWritten: number;
}

/** A bad record as the lake keeps it: why, where it came from, and its raw bytes (base64). */
export const deadLetterSchema = versionedObject(
  'a dead letter',
  FORMAT_VERSION,
  z.strictObject({
    formatVersion: z.literal(FORMAT_VERSION).optional(),
    dataset: z.string().min(1),
    reason: z.string().min(1),
    topic: z.string().min(1),
    partition: z.number().int().min(0),
    offset: z.number().int().min(0),
    timestamp: z.number(),
    key: z.string().nullable(),
    value: z.string().nullable(),
    headers: z.array(z.strictObject({ name: z.string(), value: z.string() })),
  }),
);

export type DeadLetter = z.output<typeof deadLetterSchema>;

/**
 * Processes one Lambda Kafka event, dataset by dataset: dead letters and hot parts to S3, parts
 * and partition progress to DynamoDB, then the watermark and the windows it seals. Every step is
 * idempotent and ordered so that a crash at any point, followed by a redelivery of the same batch,
 * converges to the state of one clean run. Throws (so Lambda retries the batch) only when storage
 * fails; bad records never fail the batch.
 */
export async function processKafkaEvent(
  batcherContext: BatcherContext,
  event: unknown,
): Promise<Record<string, DatasetBatchSummary>> {
  const context = withRequestLimit(batcherContext);
  const byTopic = groupByTopic(decodeKafkaEvent(event));
  const summaries: Record<string, DatasetBatchSummary> = {};
  const routedTopics = new Set(context.descriptors.map((descriptor) => descriptor.topic));
  const unrouted = [...byTopic].flatMap(([topic, records]) => (routedTopics.has(topic) ? [] : records));
  if (unrouted.length > 0) {
    const metrics = metricsOf(context, unroutedDataset);
    metrics.count(MetricName.recordsProcessed, unrouted.length);
    await writeDeadLetters(
      context,
      `${context.descriptors[0]?.prefix ?? 'streaming'}/${unroutedDataset}`,
      unroutedDataset,
      unrouted.map((record) => ({ record, reason: `no dataset descriptor reads topic ${record.topic}` })),
      metrics,
    );
  }
  for (const descriptor of context.descriptors) {
    const own = byTopic.get(descriptor.topic);
    if (own === undefined) continue;
    await ensureDatasetSchema(context, descriptor);
    summaries[descriptor.dataset] = await processDatasetRecords(context, descriptor, own);
  }
  return summaries;
}

/**
 * Checks the descriptor's schema against the one the lake records for its dataset and records it
 * when it evolved (once per cold start with the context's `schemas`). A refused change throws
 * SchemaChangeRefusedError before anything of the batch is written, so the batch fails and is
 * retried, then lands in the failed-batch destination, where it waits to be replayed.
 */
export async function ensureDatasetSchema(
  context: Pick<BatcherContext, 'lake' | 'store' | 'logger' | 'now' | 'schemas'>,
  descriptor: DatasetDescriptor,
): Promise<void> {
  const now = (context.now ?? Date.now)();
  const outcome = context.schemas
    ? await context.schemas.ensure(context, descriptor, now)
    : await recordDatasetSchema(context, descriptor, now);
  if (outcome.change.kind === 'evolved') {
    context.logger.info('dataset schema recorded', {
      dataset: descriptor.dataset,
      version: outcome.version,
      changes: outcome.change.changes,
    });
  }
}

/** The records of each topic, in their order; one pass however many descriptors the function has. */
function groupByTopic(records: readonly DecodedKafkaRecord[]): Map<string, DecodedKafkaRecord[]> {
  const byTopic = new Map<string, DecodedKafkaRecord[]>();
  for (const record of records) {
    const own = byTopic.get(record.topic);
    if (own) own.push(record);
    else byTopic.set(record.topic, [record]);
  }
  return byTopic;
}

async function processDatasetRecords(
  context: BatcherContext,
  descriptor: DatasetDescriptor,
  records: readonly DecodedKafkaRecord[],
): Promise<DatasetBatchSummary> {
  const now = (context.now ?? Date.now)();
  const metrics = metricsOf(context, descriptor.dataset);
  metrics.count(MetricName.recordsProcessed, records.length);
  const rows: DatasetRow[] = [];
  const bad: { record: DecodedKafkaRecord; reason: string }[] = [];
  for (const record of records) {
    const outcome = decodeDatasetRecord(record, descriptor);
    if (outcome.ok) rows.push(outcome.row);
    else bad.push({ record, reason: outcome.reason });
  }
  await writeDeadLetters(context, datasetRoot(descriptor), descriptor.dataset, bad, metrics);

  const parts = groupIntoParts(descriptor, rows);
  const partCache = context.partCache ?? new PartCache();
  await mapRequests(context.lake, parts, async (part) => {
    const bytes = encodeHotPart(descriptor, part.rows);
    await context.lake.put(part.key, bytes, 'application/vnd.apache.parquet');
    partCache.set(part.key, part.rows, bytes);
  });
  // Parts new to their window: late when the window was published already, or (below) when it was
  // closed under the watermark as it was before this batch raises it.
  const newParts: { readonly part: HotPart; readonly published: boolean }[] = [];
  const manifests = new Map<string, Promise<WindowManifest>>();
  // DynamoDB writes, as many at once as S3 requests may be in flight.
  const inFlight = context.s3RequestsInFlight ?? S3_REQUESTS_IN_FLIGHT.defaultValue;
  await mapWithLimit(parts, inFlight, async (part) => {
    const previous = await context.store.windows.addPart(descriptor.dataset, part.windowStart, part.key);
    const isNew = !previous?.parts.includes(part.key);
    if (!isNew) await retagCoveredPart(context.lake, part.key, previous!, manifests);
    else newParts.push({ part, published: (previous?.manifestVersion ?? 0) > 0 });
  });

  await mapWithLimit(progressByPartition(records, rows), inFlight, (progress) =>
    context.store.partitions.record(descriptor.dataset, { ...progress, updatedAt: now }),
  );
  // One query for what the sealing pass needs and the watermark before this batch raises it.
  const progress = await context.store.partitions.listWithWatermark(descriptor.dataset);
  let lateRecords = 0;
  for (const { part, published } of newParts)
    if (published || isWindowClosed(part.windowStart, progress.watermark.watermark, policyOf(descriptor)))
      lateRecords += part.rows.length;
  if (lateRecords > 0) {
    metrics.count(MetricName.lateRecords, lateRecords);
    context.logger.info('late records re-open sealed windows', {
      dataset: descriptor.dataset,
      lateRecords,
    });
  }

  const touched = [...new Set(parts.map((part) => part.windowStart))];
  const sealing = await sealDueWindows(context, descriptor, {
    now,
    touchedWindows: touched,
    metrics,
    owner: batchOwner(records),
    partCache,
    progress,
  });
  return {
    records: records.length,
    deadLetters: bad.length,
    lateRecords,
    partsWritten: parts.length,
    ...sealing,
  };
}

/**
 * A redelivered part (already in its window) was just written again under its old key: a new object,
 * without the tag it had, or back after it expired. If a published version covers it, its compacted
 * part holds the part's records already, so it is tagged again and expires as before; compaction
 * keeps the newest record per key, so its old values cannot come back either way.
 */
async function retagCoveredPart(
  lake: Lake,
  key: string,
  window: WindowState,
  manifests: Map<string, Promise<WindowManifest>>,
): Promise<void> {
  const manifestKey = window.manifestKey;
  if (manifestKey === undefined) return;
  if (!manifests.has(manifestKey))
    manifests.set(manifestKey, lake.getJson(manifestKey, windowManifestSchema));
  const manifest = await manifests.get(manifestKey)!;
  if (manifest.compactedPart !== undefined && manifest.parts.includes(key)) {
    await lake.tag(key, SEALED_PART_TAG);
  }
}

/** A name for the batch from its offsets: the same batch, retried, has the same name. */
function batchOwner(records: readonly DecodedKafkaRecord[]): string {
  const first = records[0]!;
  const last = records[records.length - 1]!;
  return `batch-${first.topic}-${first.partition}-${first.offset}-${last.partition}-${last.offset}`;
}

/** Next offset and newest event time per Kafka partition of the batch; dead letters move offsets too. */
function progressByPartition(records: readonly DecodedKafkaRecord[], rows: readonly DatasetRow[]) {
  const progress = new Map<
    number,
    { topic: string; partition: number; nextOffset: number; maxEventTime?: number }
  >();
  for (const record of records) {
    const current = progress.get(record.partition);
    if (current) current.nextOffset = Math.max(current.nextOffset, record.offset + 1);
    else
      progress.set(record.partition, {
        topic: record.topic,
        partition: record.partition,
        nextOffset: record.offset + 1,
      });
  }
  for (const row of rows) {
    const current = progress.get(row.partition)!;
    if (current.maxEventTime === undefined || row.eventTime > current.maxEventTime)
      current.maxEventTime = row.eventTime;
  }
  return [...progress.values()];
}

async function writeDeadLetters(
  context: BatcherContext,
  root: string,
  dataset: string,
  bad: readonly { record: DecodedKafkaRecord; reason: string }[],
  metrics: BatcherMetrics,
): Promise<void> {
  if (bad.length === 0) return;
  metrics.count(MetricName.deadLetterRecords, bad.length);
  await mapRequests(context.lake, bad, async ({ record, reason }) => {
    const key = deadLetterKey(root, record);
    const letter: DeadLetter = {
      formatVersion: FORMAT_VERSION,
      dataset,
      reason,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: record.key?.toString('base64') ?? null,
      value: record.value?.toString('base64') ?? null,
      headers: record.headers.map((header) => ({
        name: header.name,
        value: header.value.toString('base64'),
      })),
    };
    await context.lake.put(key, `${JSON.stringify(letter)}\n`, 'application/json');
    context.logger.warn('record dead-lettered', {
      dataset,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      reason,
      object: `s3://${context.lake.bucket}/${key}`,
    });
  });
}

/** The metrics of one dataset for this call, mirrored into the invocation's metrics. */
export function metricsOf(context: Pick<BatcherContext, 'metrics'>, dataset: string): BatcherMetrics {
  return new BatcherMetrics(dataset, context.metrics);
}
