import { createHash } from 'node:crypto';
import { parseWith, z } from '@apphub/platform/settings';

/** Numbers given with `cdk synth -c` or as CLI flags arrive as strings. */
const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Where a batch goes when its retries run out. `s3`: a bucket of its own receives the whole
 * invocation record (metadata and the batch); `none`: no destination, allowed only with
 * `retryAttempts: -1`, so the partition waits until the batch succeeds or its records expire.
 * An SQS or SNS destination receives only metadata (offsets), so it is not offered.
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html
 */
export const ON_FAILURE_DESTINATIONS = ['s3', 'none'] as const;
export type OnFailureDestination = (typeof ON_FAILURE_DESTINATIONS)[number];

/**
 * Retries Lambda applies when `retryAttempts` is -1 (infinite) and an on-failure destination is set:
 * "When you configure both infinite retries and an on-failure destination, Lambda automatically
 * applies a maximum of 10 retry attempts."
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
 */
export const INFINITE_RETRIES_WITH_DESTINATION = 10;

/** The defaults of the micro-batcher's Kafka event source mapping, in AWS and locally alike. */
export const eventSourceDefaults = Object.freeze({
  startingPosition: 'TRIM_HORIZON',
  batchSize: 500,
  batchingWindowSeconds: 5,
  retryAttempts: 3,
  onFailureDestination: 's3',
  minimumPollers: 1,
  maximumPollers: 2,
} as const);

/** What each setting means; docs/deploy.md documents them under the same names. */
export const eventSourceDescriptions: Readonly<Record<keyof typeof eventSourceDefaults, string>> =
  Object.freeze({
    startingPosition: 'Where a consumer group without committed offsets starts: TRIM_HORIZON or LATEST.',
    batchSize: 'Most records per invocation (1-10,000).',
    batchingWindowSeconds: 'How long records are gathered before an invocation (0-300 s).',
    retryAttempts:
      'Retries of a failed batch before it goes to the on-failure destination; -1 = until its records expire (at most 10 with a destination).',
    onFailureDestination:
      'Where a batch goes after its retries: s3 (a bucket of its own, whole batch) or none (only with retryAttempts -1).',
    minimumPollers:
      'Provisioned event pollers, minimum (Kafka retry limits and destinations need provisioned mode).',
    maximumPollers: 'Provisioned event pollers, maximum.',
  });

/**
 * The event source settings as zod fields, for a strict object of options (the CDK config spreads
 * them into its own schema; the local runner parses them alone with eventSourceSettingsSchema).
 */
export const eventSourceSettingsShape = {
  startingPosition: z
    .enum(['TRIM_HORIZON', 'LATEST'])
    .default(eventSourceDefaults.startingPosition)
    .describe(eventSourceDescriptions.startingPosition),
  batchSize: integer(1, 10_000)
    .default(eventSourceDefaults.batchSize)
    .describe(eventSourceDescriptions.batchSize),
  batchingWindowSeconds: integer(0, 300)
    .default(eventSourceDefaults.batchingWindowSeconds)
    .describe(eventSourceDescriptions.batchingWindowSeconds),
  retryAttempts: integer(-1, 10_000)
    .default(eventSourceDefaults.retryAttempts)
    .describe(eventSourceDescriptions.retryAttempts),
  onFailureDestination: z
    .enum(ON_FAILURE_DESTINATIONS, {
      error: 'expected "s3" or "none" (an SQS or SNS destination would keep only offsets, not the records)',
    })
    .default(eventSourceDefaults.onFailureDestination)
    .describe(eventSourceDescriptions.onFailureDestination),
  minimumPollers: integer(1, 200)
    .default(eventSourceDefaults.minimumPollers)
    .describe(eventSourceDescriptions.minimumPollers),
  maximumPollers: integer(1, 2000)
    .default(eventSourceDefaults.maximumPollers)
    .describe(eventSourceDescriptions.maximumPollers),
};

/** The parsed settings of the event source mapping. */
export type EventSourceSettings = Readonly<z.output<z.ZodObject<typeof eventSourceSettingsShape>>>;

/** Setting names, which are also the option names (CDK context `apphub:<name>`). */
export const EVENT_SOURCE_SETTING_NAMES = Object.freeze(
  Object.keys(eventSourceSettingsShape) as (keyof EventSourceSettings)[],
);

/**
 * Rules across settings; the CDK config calls it from its own refinement, so a synth and the local
 * runner refuse the same combinations.
 */
export function checkEventSourceSettings(settings: EventSourceSettings, context: z.RefinementCtx): void {
  if (settings.minimumPollers > settings.maximumPollers) {
    context.addIssue({
      code: 'custom',
      path: ['minimumPollers'],
      message: 'must not exceed maximumPollers',
    });
  }
  if (settings.onFailureDestination === 'none' && settings.retryAttempts !== -1) {
    context.addIssue({
      code: 'custom',
      path: ['onFailureDestination'],
      message:
        'without a destination a batch whose retries run out is dropped: use "s3", or retryAttempts -1 (retry until its records expire)',
    });
  }
}

/** The settings alone, strict: an unknown name is an error naming it. */
export const eventSourceSettingsSchema = z
  .strictObject(eventSourceSettingsShape)
  .superRefine(checkEventSourceSettings);

/** Parses settings (missing ones take their defaults); errors are one line naming `where` and the field. */
export function parseEventSourceSettings(values: unknown, where: string): EventSourceSettings {
  return Object.freeze(parseWith(eventSourceSettingsSchema, values, where));
}

/** The event source settings among parsed options that hold them and more (the CDK's AppOptions). */
export function pickEventSourceSettings(options: EventSourceSettings): EventSourceSettings {
  return Object.freeze(
    Object.fromEntries(EVENT_SOURCE_SETTING_NAMES.map((name) => [name, options[name]])),
  ) as EventSourceSettings;
}

/** How many retries a failed batch gets: a count, or until its records expire in Kafka. */
export function retryLimit(settings: EventSourceSettings): number | 'until-records-expire' {
  if (settings.retryAttempts !== -1) return settings.retryAttempts;
  return settings.onFailureDestination === 'none'
    ? 'until-records-expire'
    : INFINITE_RETRIES_WITH_DESTINATION;
}

/** What happens to a batch after a failed invocation, as the event source mapping decides it. */
export type FailedBatchDecision =
  /** Invoke again with the same batch. */
  | { readonly action: 'retry' }
  /** Write the invocation record to the on-failure destination, then commit past the batch. */
  | { readonly action: 'send-to-destination'; readonly condition: 'RetryAttemptsExhausted' }
  /** No destination and the records are gone from Kafka: commit past the batch (Lambda drops it). */
  | { readonly action: 'drop-expired' };

/**
 * Decides after the `invocations`-th failed invocation of a batch (1 = the first attempt). Without a
 * destination the batch is retried until its first record has left the topic (retention), as Lambda
 * does with infinite retries; with one, until the retry limit, or sooner when the records expired.
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
 */
export function decideAfterFailure(
  settings: EventSourceSettings,
  invocations: number,
  recordsExpired: boolean,
): FailedBatchDecision {
  const limit = retryLimit(settings);
  const exhausted = limit !== 'until-records-expire' && invocations - 1 >= limit;
  if (!exhausted && !recordsExpired) return { action: 'retry' };
  if (settings.onFailureDestination === 'none')
    return recordsExpired ? { action: 'drop-expired' } : { action: 'retry' };
  return { action: 'send-to-destination', condition: 'RetryAttemptsExhausted' };
}

/**
 * Characters and length Lambda accepts in a Kafka event source's consumer group id:
 * https://docs.aws.amazon.com/lambda/latest/api/API_AmazonManagedKafkaEventSourceConfig.html
 * (and SelfManagedKafkaEventSourceConfig): 1-200 of [a-zA-Z0-9-/*:_+=.@].
 */
export const CONSUMER_GROUP_ID_PATTERN = /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/;
const CONSUMER_GROUP_ID_MAX = 200;

/**
 * The consumer group of the micro-batcher's event source for `topic` in the deployment named
 * `stackPrefix`: `<stackPrefix>.micro-batcher.<topic>`. Lambda requires a consumer group id to be
 * unique among all Kafka event sources, and a mapping's id cannot change after creation
 * (https://docs.aws.amazon.com/lambda/latest/dg/kafka-consumer-group-id.html), so every mapping
 * (one per topic) of every deployment (one per prefix) gets its own; `npm run batcher` derives its
 * groups the same way. A stack prefix and a
 * Kafka topic name use only allowed characters; a name longer than Lambda accepts is cut and ends
 * with a hash of the whole, so it stays unique.
 */
export function consumerGroupIdFor(stackPrefix: string, topic: string): string {
  const full = `${stackPrefix}.micro-batcher.${topic}`;
  const groupId =
    full.length <= CONSUMER_GROUP_ID_MAX
      ? full
      : `${full.slice(0, CONSUMER_GROUP_ID_MAX - 17)}.${createHash('sha256').update(full).digest('hex').slice(0, 16)}`;
  if (!CONSUMER_GROUP_ID_PATTERN.test(groupId)) {
    throw new Error(
      `consumer group id ${JSON.stringify(groupId)} of topic ${topic} is not one Lambda accepts (1-200 of [a-zA-Z0-9-/*:_+=.@])`,
    );
  }
  return groupId;
}

/** Time the handler keeps free at the end of an invocation, out of the outage it rides out. */
export const OUTAGE_RESERVE_SECONDS = 30;

/**
 * How long an S3 or DynamoDB outage a batch rides out before it leaves for the on-failure
 * destination: each invocation retries storage outages until OUTAGE_RESERVE_SECONDS before its
 * timeout, and the mapping invokes 1 + retries times. Infinite when the mapping retries until the
 * records expire.
 */
export function outageRideOutSeconds(settings: EventSourceSettings, functionTimeoutSeconds: number): number {
  const limit = retryLimit(settings);
  if (limit === 'until-records-expire') return Number.POSITIVE_INFINITY;
  return (1 + limit) * Math.max(0, functionTimeoutSeconds - OUTAGE_RESERVE_SECONDS);
}

/** The shortest storage outage the deployment must ride out without diverting a batch: 5 minutes. */
export const MINIMUM_OUTAGE_RIDE_OUT_SECONDS = 300;
