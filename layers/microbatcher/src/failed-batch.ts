import { type KafkaEvent, KafkaEventInvalidError, parseKafkaEvent } from '@apphub/kafka-event';
import { z } from '@apphub/platform';
import { MicroBatcherError } from './errors.js';

/**
 * What Lambda writes to an S3 on-failure destination for a Kafka batch whose retries ran out (or
 * that was too large to invoke): the invocation's metadata plus `payload`, the original event as an
 * escaped JSON string. Field names and shapes follow the documented example:
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html ("S3 destination example
 * invocation record"); test/fixtures/kafka-on-failure/s3-invocation-record.json is that example.
 */
export interface FailedBatchRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: FailedBatchCondition;
    readonly approximateInvokeCount: number;
  };
  /** Null when the batch was never invoked (MaximumPayloadSizeExceeded). */
  readonly responseContext: {
    readonly statusCode: number;
    readonly executedVersion: string;
    readonly functionError: string;
  } | null;
  readonly version: string;
  readonly timestamp: string;
  readonly KafkaBatchInfo: {
    readonly batchSize: number;
    readonly eventSourceArn: string;
    readonly bootstrapServers: string;
    /** Bytes of the payload. */
    readonly payloadSize: number;
    /** Per `<topic>-<partition>`: offsets as decimal strings, timestamps as ISO-8601. */
    readonly recordsInfo: Readonly<Record<string, FailedPartitionInfo>>;
  };
  /** The original event as JSON text (S3 destinations only). */
  readonly payload: string;
}

export interface FailedPartitionInfo {
  readonly firstRecordOffset: string;
  readonly lastRecordOffset: string;
  readonly firstRecordTimestamp: string;
  readonly lastRecordTimestamp: string;
}

/** Why Lambda gave up on a batch (the documented values of `requestContext.condition`). */
export type FailedBatchCondition = 'RetryAttemptsExhausted' | 'MaximumPayloadSizeExceeded';

/** A failed-batch object, checked, with its original event ready to be handled again. */
export interface FailedBatch {
  readonly condition: FailedBatchCondition;
  readonly invocations: number;
  /** When Lambda gave up (the record's `timestamp`). */
  readonly failedAt: string;
  readonly event: KafkaEvent;
  /** Each topic-partition of the batch with its record count and offset range, in key order. */
  readonly partitions: readonly {
    readonly topicPartition: string;
    readonly records: number;
    readonly firstOffset: number;
    readonly lastOffset: number;
  }[];
}

/** An object of the failed-batch destination is not a Lambda invocation record (one line, naming it). */
export class FailedBatchInvalidError extends MicroBatcherError {}

const decimal = /^\d+$/;

// Lambda adds fields over time, so unknown keys are allowed; the documented ones are checked.
const recordSchema = z.object({
  requestContext: z.object({
    requestId: z.string(),
    functionArn: z.string(),
    condition: z.enum(['RetryAttemptsExhausted', 'MaximumPayloadSizeExceeded']),
    approximateInvokeCount: z.number().int().min(0),
  }),
  responseContext: z
    .object({ statusCode: z.number(), executedVersion: z.string(), functionError: z.string().optional() })
    .nullable(),
  version: z.string(),
  timestamp: z.iso.datetime({ offset: true }),
  KafkaBatchInfo: z.object({
    batchSize: z.number().int().min(0),
    eventSourceArn: z.string(),
    bootstrapServers: z.string().optional(),
    payloadSize: z.number().int().min(0),
    recordsInfo: z.record(
      z.string(),
      z.object({
        firstRecordOffset: z.string().regex(decimal, 'expected a decimal offset'),
        lastRecordOffset: z.string().regex(decimal, 'expected a decimal offset'),
        firstRecordTimestamp: z.iso.datetime({ offset: true }),
        lastRecordTimestamp: z.iso.datetime({ offset: true }),
      }),
    ),
  }),
  payload: z.string({
    error: (issue) =>
      issue.input === undefined
        ? 'is missing: only an S3 destination keeps the batch (an SQS or SNS record holds offsets only)'
        : 'expected the original event as a JSON string',
  }),
});

/**
 * Parses a failed-batch object. `where` names it (an s3:// URI) in the one-line error, which also
 * says what is wrong: not JSON, a missing or mistyped field, or a payload that is not a Kafka event.
 */
export function parseFailedBatch(text: string, where: string): FailedBatch {
  const fail = (problem: string, cause?: unknown): never => {
    throw new FailedBatchInvalidError(`${where} is not a Lambda failed-batch record: ${problem}`, { cause });
  };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return fail(`not JSON (${(error as Error).message})`, error);
  }
  const result = recordSchema.safeParse(document);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return fail(`${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`, result.error);
  }
  const record = result.data;
  let payload: unknown;
  try {
    payload = JSON.parse(record.payload);
  } catch (error) {
    return fail(`payload: not JSON (${(error as Error).message})`, error);
  }
  // The handler gets the payload itself, as Lambda would have delivered it; parsing only checks it.
  const event = payload as KafkaEvent;
  try {
    parseKafkaEvent(payload);
  } catch (error) {
    const message = error instanceof KafkaEventInvalidError ? error.message : String(error);
    return fail(`payload: ${message}`, error);
  }
  const inPayload = Object.keys(event.records).sort();
  const inInfo = Object.keys(record.KafkaBatchInfo.recordsInfo).sort();
  if (inPayload.join() !== inInfo.join()) {
    fail(
      `payload holds ${inPayload.join(', ') || 'no records'} but KafkaBatchInfo.recordsInfo names ${inInfo.join(', ') || 'none'}`,
    );
  }
  return {
    condition: record.requestContext.condition,
    invocations: record.requestContext.approximateInvokeCount,
    failedAt: record.timestamp,
    event,
    partitions: inPayload.map((topicPartition) => {
      const records = event.records[topicPartition]!;
      const offsets = records.map((item) => item.offset);
      return {
        topicPartition,
        records: records.length,
        firstOffset: Math.min(...offsets),
        lastOffset: Math.max(...offsets),
      };
    }),
  };
}

/** What the local event source mapping knows about a batch it gives up on. */
export interface BatchFailure {
  readonly requestId: string;
  readonly functionArn: string;
  readonly condition: FailedBatchCondition;
  readonly invocations: number;
  readonly at: Date;
}

/**
 * The invocation record Lambda writes for `event` (see FailedBatchRecord), as JSON text; the local
 * runner writes it to its destination so a replay reads the same format in both environments.
 */
export function encodeFailedBatch(event: KafkaEvent, failure: BatchFailure): string {
  const payload = JSON.stringify(event);
  const recordsInfo = Object.fromEntries(
    Object.entries(event.records).map(([topicPartition, records]) => {
      const first = records[0]!;
      const last = records[records.length - 1]!;
      return [
        topicPartition,
        {
          firstRecordOffset: String(first.offset),
          lastRecordOffset: String(last.offset),
          firstRecordTimestamp: new Date(first.timestamp).toISOString(),
          lastRecordTimestamp: new Date(last.timestamp).toISOString(),
        },
      ];
    }),
  );
  const record: FailedBatchRecord = {
    requestContext: {
      requestId: failure.requestId,
      functionArn: failure.functionArn,
      condition: failure.condition,
      approximateInvokeCount: failure.invocations,
    },
    responseContext:
      failure.condition === 'MaximumPayloadSizeExceeded'
        ? null
        : { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    version: '1.0',
    timestamp: failure.at.toISOString(),
    KafkaBatchInfo: {
      batchSize: Object.values(event.records).reduce((sum, records) => sum + records.length, 0),
      eventSourceArn: event.eventSourceArn ?? '',
      bootstrapServers: event.bootstrapServers ?? '',
      payloadSize: Buffer.byteLength(payload),
      recordsInfo,
    },
    payload,
  };
  return JSON.stringify(record);
}

/**
 * The object key of a failed batch, in the layout Lambda documents for its S3 on-failure
 * destinations, `aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>`,
 * with the batch's `<topic>-<partition>` as the shard. The layout is documented for Kinesis and
 * DynamoDB streams (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html);
 * the Kafka page names none, so the replay never relies on keys, only on the objects' content.
 */
export function failedBatchKey(mappingUuid: string, topicPartition: string, at: Date, id: string): string {
  const iso = at.toISOString();
  const day = iso.slice(0, 10);
  const time = iso.slice(11, 19).replaceAll(':', '.');
  return `aws/lambda/${mappingUuid}/${topicPartition}/${day.replaceAll('-', '/')}/${day}T${time}-${id}`;
}
