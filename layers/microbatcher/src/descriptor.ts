import { kindOf, type ParquetColumnType, parseColumnType } from '@apphub/parquet/types';
import { ConfigInvalidError, parseWith, platform, z } from '@apphub/platform/settings';
import type { WatermarkPolicy } from '@apphub/watermarks';
import { durationSchema } from './duration.js';

/**
 * A column type as written in a descriptor (`"int64"`, `"decimal(38, 9)"`), parsed to its canonical
 * spelling (`decimal(38,9)`), which manifests and the schema record store.
 */
export const columnTypeSchema = z.string().transform((text, context): ParquetColumnType => {
  const parsed = parseColumnType(text);
  if ('type' in parsed) return parsed.type;
  context.addIssue({ code: 'custom', message: parsed.problem });
  return z.NEVER;
});

/** One column of a dataset: a name, a type and whether records may leave it out (null). */
export const fieldSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'expected a column name: a letter, then letters, digits or _'),
  type: columnTypeSchema,
  nullable: z.boolean().default(false),
});

/** A parsed schema field. */
export type DatasetField = z.output<typeof fieldSchema>;

/**
 * One dataset the micro-batcher maintains. Durations are strings such as "1 h" or "30 s"; the
 * timestamp field holds ISO-8601 strings with a zone or UTC epoch milliseconds.
 */
const descriptorSchema = z
  .strictObject({
    /** Dataset slug: a path segment of the lake and the `Dataset` metric dimension. */
    dataset: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a slug: lowercase letters, digits and -'),
    /** Kafka topic the dataset is read from. */
    topic: z.string().min(1).default(platform.topics.aggregates.name),
    /** Columns of the dataset, in order; other fields in a record's value are ignored. */
    schema: z.strictObject({ fields: z.array(fieldSchema).min(1) }),
    /** Field whose time places a record in a window (type timestamp). */
    timestampField: z.string(),
    /** Fields that split a window into Hive-style partitions (key=value path segments). */
    partitionKeys: z.array(z.string()).default([]),
    /** Length of a storage window (aligned to the epoch). */
    windowDuration: durationSchema,
    /** How long after a window's end records may still arrive before it seals. */
    allowedLateness: durationSchema.default(0),
    /** Fields that identify a row: the latest record per key wins, a tombstone deletes it. */
    upsertKey: z.array(z.string()).min(1),
    /** A partition without new records for this long stops holding the watermark back. */
    idleTimeout: durationSchema.default(300_000),
    /**
     * Partitions of the topic, if known: the watermark then waits until each has reported (or all
     * reporting ones are idle), so a partition read later does not turn its records into late data.
     */
    topicPartitions: z.number().int().min(1).optional(),
    /** Key prefix in the lake bucket under which the dataset lives. */
    prefix: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)*$/,
        'expected path segments of lowercase letters, digits and -',
      )
      .default('streaming'),
  })
  .superRefine((descriptor, context) => {
    const types = new Map(descriptor.schema.fields.map((field) => [field.name, field.type]));
    const problem = (path: (string | number)[], message: string) =>
      context.addIssue({ code: 'custom', path, message });
    if (types.size !== descriptor.schema.fields.length)
      problem(['schema', 'fields'], 'field names must be unique');
    const timestampType = types.get(descriptor.timestampField);
    if (timestampType !== 'timestamp') {
      problem(
        ['timestampField'],
        timestampType === undefined
          ? `"${descriptor.timestampField}" is not a schema field`
          : `"${descriptor.timestampField}" must have type timestamp, not ${timestampType}`,
      );
    }
    descriptor.partitionKeys.forEach((name, index) => {
      const type = types.get(name);
      if (type === undefined) problem(['partitionKeys', index], `"${name}" is not a schema field`);
      else if (type === 'double' || kindOf(type) === 'decimal')
        problem(['partitionKeys', index], `"${name}" is a ${kindOf(type)}; partition by a discrete field`);
    });
    descriptor.upsertKey.forEach((name, index) => {
      if (!types.has(name)) problem(['upsertKey', index], `"${name}" is not a schema field`);
    });
    if (descriptor.windowDuration <= 0) problem(['windowDuration'], 'must be positive');
  });

/** A parsed dataset descriptor; durations in milliseconds. */
export type DatasetDescriptor = Readonly<z.output<typeof descriptorSchema>>;

/** The descriptor as written in TIMESTORE_STREAMING_BATCHERS (durations as strings). */
export type DatasetDescriptorInput = z.input<typeof descriptorSchema>;

/**
 * Parses one descriptor; an error is one line naming `where` (the descriptor) and the field.
 */
export function parseDatasetDescriptor(value: unknown, where = 'dataset descriptor'): DatasetDescriptor {
  return Object.freeze(parseWith(descriptorSchema, value, where));
}

/**
 * Parses TIMESTORE_STREAMING_BATCHERS: a JSON array of descriptors with unique dataset slugs. Each
 * error names the variable, the descriptor (index and slug) and the offending field in one line.
 */
export function parseBatcherDescriptors(
  json: string | undefined,
  variable = 'TIMESTORE_STREAMING_BATCHERS',
): readonly DatasetDescriptor[] {
  if (json === undefined || json.trim() === '') {
    throw new ConfigInvalidError(`${variable} is not set: expected a JSON array of dataset descriptors`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new ConfigInvalidError(`${variable} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseDescriptorList(parsed, variable);
}

/**
 * Parses a list of descriptors already read from JSON (the CDK context's `batchers`, the value of
 * TIMESTORE_STREAMING_BATCHERS): a non-empty array with unique dataset slugs. Each error names
 * `where`, the descriptor (index and slug) and the offending field in one line.
 */
export function parseDescriptorList(values: unknown, where: string): readonly DatasetDescriptor[] {
  if (!Array.isArray(values) || values.length === 0) {
    throw new ConfigInvalidError(`${where} must be a non-empty JSON array of dataset descriptors`);
  }
  const descriptors = values.map((value: unknown, index) => {
    const slug = (value as { dataset?: unknown } | null)?.dataset;
    const name = typeof slug === 'string' ? `${where}[${index}] (dataset ${slug})` : `${where}[${index}]`;
    return parseDatasetDescriptor(value, name);
  });
  const seen = new Set<string>();
  for (const descriptor of descriptors) {
    if (seen.has(descriptor.dataset)) {
      throw new ConfigInvalidError(
        `${where} lists dataset ${descriptor.dataset} twice; slugs must be unique`,
      );
    }
    seen.add(descriptor.dataset);
  }
  return Object.freeze(descriptors);
}

/** The watermark policy of a descriptor: how its windows close (isWindowClosed) and idle partitions count. */
export function policyOf(descriptor: DatasetDescriptor): WatermarkPolicy {
  return {
    idleTimeoutMs: descriptor.idleTimeout,
    windowDurationMs: descriptor.windowDuration,
    allowedLatenessMs: descriptor.allowedLateness,
    expectedPartitions: descriptor.topicPartitions,
  };
}
