/**
 * `@apphub/topics/spec`: the topics every environment keeps, derived from infra/platform.json. It
 * loads no Kafka client, so the CDK app imports it to put the spec into the topic manager's custom
 * resource.
 */
import { createHash } from 'node:crypto';
import { type Platform, parseWith, platform, z } from '@apphub/platform/settings';

/** One topic as every environment must have it. */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Topic-level settings by their Kafka names, `retention.ms` included; values as Kafka spells them. */
  readonly config: Readonly<Record<string, string>>;
}

export const topicSpecSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name'),
  partitions: z.number().int().positive(),
  config: z.record(z.string().regex(/^[a-z][a-z0-9.]*$/), z.string().min(1)),
});

const topicSpecsSchema = z
  .array(topicSpecSchema)
  .refine(
    (specs) => new Set(specs.map((spec) => spec.name)).size === specs.length,
    'a topic is listed twice',
  );

/** Parses a list of topic specs (e.g. a custom resource's property); one line naming the bad field. */
export function parseTopicSpecs(value: unknown, where: string): readonly TopicSpec[] {
  return parseWith(topicSpecsSchema, value, where);
}

/** The topics of `platform.json` (`topics.*`) as specs: partitions, retention.ms and `config`. */
export function platformTopicSpecs(topics: Platform['topics'] = platform.topics): readonly TopicSpec[] {
  return Object.values(topics).map((topic) => ({
    name: topic.name,
    partitions: topic.partitions,
    config: { 'retention.ms': String(topic.retentionMs), ...topic.config },
  }));
}

/** A short digest of the specs (order and key order do not matter): changes exactly when a spec does. */
export function topicSpecHash(specs: readonly TopicSpec[]): string {
  const canonical = [...specs]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((spec) => ({
      name: spec.name,
      partitions: spec.partitions,
      config: Object.fromEntries(Object.entries(spec.config).sort(([a], [b]) => a.localeCompare(b))),
    }));
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}
