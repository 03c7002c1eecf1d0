import type { NewTopic, ObservedCluster } from '@apphub/kafka-client';
import type { TopicSpec } from './spec.js';

/** One change the topic manager makes. There is no delete: a topic the spec leaves out is left alone. */
export type TopicAction =
  | { readonly kind: 'create'; readonly topic: NewTopic }
  | { readonly kind: 'add-partitions'; readonly name: string; readonly from: number; readonly to: number }
  | {
      readonly kind: 'set-config';
      readonly name: string;
      /** The settings the spec changes, with their values before. */
      readonly changes: readonly ConfigChange[];
      /** The topic's own settings to write: those it had, with the spec's applied over them. */
      readonly config: Readonly<Record<string, string>>;
    };

export interface ConfigChange {
  readonly key: string;
  /** Undefined when the topic inherited the broker default. */
  readonly from?: string | undefined;
  readonly to: string;
}

/** A topic with more partitions than its spec: Kafka cannot remove partitions. */
export interface PartitionDecrease {
  readonly name: string;
  /** A number, or a shell variable when the message is rendered into a bootstrap script. */
  readonly observed: number | string;
  readonly desired: number;
}

/** What to do, decided from the desired and the observed state alone. */
export type TopicPlan =
  | {
      readonly kind: 'apply';
      /** In order: creations, then partition increases, then settings. Empty when all is as specified. */
      readonly actions: readonly TopicAction[];
      /** Topics that already are as specified. */
      readonly unchanged: readonly string[];
    }
  | {
      /** Nothing is done: one topic would need a partition decrease. */
      readonly kind: 'refuse';
      readonly decreases: readonly PartitionDecrease[];
      /** One line saying what was refused and what to do. */
      readonly reason: string;
    };

/**
 * The replication factor of a topic created on a cluster of `brokers`: every broker up to three, as
 * the MSK configuration's `default.replication.factor`, written explicitly rather than as the
 * "broker default" (-1, CreateTopics v4 and later, KIP-464) so that it holds on every client and broker.
 */
export function replicationFactorFor(brokers: number): number {
  return Math.max(1, Math.min(3, brokers));
}

/** The one line a refused partition decrease is reported with, in every environment. */
export function partitionDecreaseMessage(decreases: readonly PartitionDecrease[]): string {
  const topics = decreases
    .map(
      (decrease) =>
        `topic ${decrease.name} has ${decrease.observed} partitions and the spec asks for ${decrease.desired}`,
    )
    .join('; ');
  return `refused: ${topics}; Kafka cannot remove partitions, so no topic was changed: keep partitions at least at the current count in infra/platform.json topics`;
}

/**
 * Decides what makes the cluster hold `desired`: create missing topics (with their partitions and
 * settings, replicated by replicationFactorFor), raise partition counts, and write settings that
 * differ, keeping any other setting the topic has. A partition decrease refuses the whole plan, so a
 * refused spec changes nothing. Topics outside `desired` are never touched.
 */
export function planTopics(desired: readonly TopicSpec[], observed: ObservedCluster): TopicPlan {
  const byName = new Map(observed.topics.map((topic) => [topic.name, topic]));
  const decreases = desired.flatMap((spec): PartitionDecrease[] => {
    const topic = byName.get(spec.name);
    return topic !== undefined && topic.partitions > spec.partitions
      ? [{ name: spec.name, observed: topic.partitions, desired: spec.partitions }]
      : [];
  });
  if (decreases.length > 0) {
    return { kind: 'refuse', decreases, reason: partitionDecreaseMessage(decreases) };
  }
  const creations: TopicAction[] = [];
  const increases: TopicAction[] = [];
  const settings: TopicAction[] = [];
  const unchanged: string[] = [];
  for (const spec of desired) {
    const topic = byName.get(spec.name);
    if (topic === undefined) {
      creations.push({
        kind: 'create',
        topic: {
          name: spec.name,
          partitions: spec.partitions,
          replicationFactor: replicationFactorFor(observed.brokers),
          config: spec.config,
        },
      });
      continue;
    }
    let changed = false;
    if (topic.partitions < spec.partitions) {
      increases.push({
        kind: 'add-partitions',
        name: spec.name,
        from: topic.partitions,
        to: spec.partitions,
      });
      changed = true;
    }
    const changes = Object.entries(spec.config)
      .filter(([key, value]) => topic.config[key] !== value)
      .map(([key, value]) => ({ key, from: topic.config[key], to: value }));
    if (changes.length > 0) {
      settings.push({
        kind: 'set-config',
        name: spec.name,
        changes,
        config: { ...topic.config, ...spec.config },
      });
      changed = true;
    }
    if (!changed) unchanged.push(spec.name);
  }
  return { kind: 'apply', actions: [...creations, ...increases, ...settings], unchanged };
}

/** An action in one line, for logs and the bootstrap's progress. */
export function describeAction(action: TopicAction): string {
  switch (action.kind) {
    case 'create': {
      const settings = Object.entries(action.topic.config)
        .map(([key, value]) => `${key}=${value}`)
        .join(', ');
      return `created ${action.topic.name} (${action.topic.partitions} partitions, replication ${action.topic.replicationFactor}${settings ? `, ${settings}` : ''})`;
    }
    case 'add-partitions':
      return `raised ${action.name} from ${action.from} to ${action.to} partitions`;
    case 'set-config':
      return `set ${action.changes.map((change) => `${change.key}=${change.to} (was ${change.from ?? 'the broker default'})`).join(', ')} on ${action.name}`;
  }
}
