import type { ObservedCluster } from '@apphub/kafka-client';
import { platform } from '@apphub/platform';
import {
  describeAction,
  parseTopicSpecs,
  planTopics,
  platformTopicSpecs,
  replicationFactorFor,
  type TopicSpec,
  topicSpecHash,
} from '@apphub/topics';
import { describe, expect, it } from 'vitest';

const orders: TopicSpec = { name: 'orders', partitions: 3, config: { 'retention.ms': '604800000' } };
const clicks: TopicSpec = {
  name: 'clicks',
  partitions: 6,
  config: { 'retention.ms': '86400000', 'cleanup.policy': 'delete' },
};

function cluster(topics: ObservedCluster['topics'], brokers = 3): ObservedCluster {
  return { brokers, topics };
}

describe('planTopics', () => {
  it('creates missing topics with their partitions, settings and the replication of the cluster', () => {
    const plan = planTopics([orders, clicks], cluster([], 2));

    expect(plan).toEqual({
      kind: 'apply',
      actions: [
        { kind: 'create', topic: { ...orders, replicationFactor: 2 } },
        { kind: 'create', topic: { ...clicks, replicationFactor: 2 } },
      ],
      unchanged: [],
    });
  });

  it('replicates on every broker up to three, as the MSK configuration does', () => {
    expect([1, 2, 3, 4, 9].map(replicationFactorFor)).toEqual([1, 2, 3, 3, 3]);
  });

  it('writes only settings that differ, keeping every other setting the topic has', () => {
    const plan = planTopics(
      [clicks],
      cluster([
        {
          name: 'clicks',
          partitions: 6,
          config: { 'retention.ms': '3600000', 'cleanup.policy': 'delete', 'max.message.bytes': '2097152' },
        },
      ]),
    );

    expect(plan).toEqual({
      kind: 'apply',
      actions: [
        {
          kind: 'set-config',
          name: 'clicks',
          changes: [{ key: 'retention.ms', from: '3600000', to: '86400000' }],
          config: { 'retention.ms': '86400000', 'cleanup.policy': 'delete', 'max.message.bytes': '2097152' },
        },
      ],
      unchanged: [],
    });
  });

  it('sets a setting the topic inherited from the broker', () => {
    const plan = planTopics([orders], cluster([{ name: 'orders', partitions: 3, config: {} }]));

    expect(plan.kind === 'apply' && plan.actions).toEqual([
      {
        kind: 'set-config',
        name: 'orders',
        changes: [{ key: 'retention.ms', from: undefined, to: '604800000' }],
        config: { 'retention.ms': '604800000' },
      },
    ]);
  });

  it('raises partitions before writing settings', () => {
    const plan = planTopics([orders], cluster([{ name: 'orders', partitions: 2, config: {} }]));

    expect(plan.kind === 'apply' && plan.actions.map((action) => action.kind)).toEqual([
      'add-partitions',
      'set-config',
    ]);
    expect(plan.kind === 'apply' && plan.actions[0]).toEqual({
      kind: 'add-partitions',
      name: 'orders',
      from: 2,
      to: 3,
    });
  });

  it('does nothing when every topic is as specified, so a second run is a no-op', () => {
    const plan = planTopics(
      [orders, clicks],
      cluster([
        { name: 'orders', partitions: 3, config: { ...orders.config } },
        { name: 'clicks', partitions: 6, config: { ...clicks.config, 'segment.ms': '60000' } },
      ]),
    );

    expect(plan).toEqual({ kind: 'apply', actions: [], unchanged: ['orders', 'clicks'] });
  });

  it('never deletes: a topic the spec leaves out gets no action', () => {
    const plan = planTopics(
      [orders],
      cluster([
        { name: 'orders', partitions: 3, config: { ...orders.config } },
        { name: 'legacy', partitions: 12, config: {} },
      ]),
    );

    expect(plan).toEqual({ kind: 'apply', actions: [], unchanged: ['orders'] });
  });

  it('refuses a partition decrease with one line naming the topic and both counts, and plans nothing else', () => {
    const plan = planTopics(
      [orders, clicks],
      cluster([
        { name: 'orders', partitions: 8, config: {} },
        { name: 'clicks', partitions: 6, config: {} },
      ]),
    );

    expect(plan.kind).toBe('refuse');
    if (plan.kind !== 'refuse') return;
    expect(plan.decreases).toEqual([{ name: 'orders', observed: 8, desired: 3 }]);
    expect(plan.reason).toBe(
      'refused: topic orders has 8 partitions and the spec asks for 3; Kafka cannot remove partitions, so no topic was changed: keep partitions at least at the current count in infra/platform.json topics',
    );
    expect(plan.reason).not.toContain('\n');
    expect(plan).not.toHaveProperty('actions');
  });

  it('describes each action in one line', () => {
    const plan = planTopics([clicks], cluster([{ name: 'clicks', partitions: 4, config: {} }], 1));
    const created = planTopics([orders], cluster([], 1));

    expect(plan.kind === 'apply' && plan.actions.map(describeAction)).toEqual([
      'raised clicks from 4 to 6 partitions',
      'set retention.ms=86400000 (was the broker default), cleanup.policy=delete (was the broker default) on clicks',
    ]);
    expect(created.kind === 'apply' && created.actions.map(describeAction)).toEqual([
      'created orders (3 partitions, replication 1, retention.ms=604800000)',
    ]);
  });
});

describe('topic specs', () => {
  it('are the platform topics with their partitions and retention, in Kafka spelling', () => {
    expect(platformTopicSpecs()).toEqual(
      Object.values(platform.topics).map((topic) => ({
        name: topic.name,
        partitions: topic.partitions,
        config: { 'retention.ms': String(topic.retentionMs) },
      })),
    );
  });

  it('carry any other topic setting platform.json gives, retention included', () => {
    const specs = platformTopicSpecs({
      ...platform.topics,
      aggregates: { ...platform.topics.aggregates, config: { 'cleanup.policy': 'compact,delete' } },
    });

    expect(specs.find((spec) => spec.name === platform.topics.aggregates.name)?.config).toEqual({
      'retention.ms': String(platform.topics.aggregates.retentionMs),
      'cleanup.policy': 'compact,delete',
    });
  });

  it('hash the same whatever the order, and differently when one setting changes', () => {
    const reordered = [clicks, { ...orders, config: { ...orders.config } }];

    expect(topicSpecHash([orders, clicks])).toBe(topicSpecHash(reordered));
    expect(topicSpecHash([orders, clicks])).not.toBe(
      topicSpecHash([orders, { ...clicks, config: { ...clicks.config, 'retention.ms': '1' } }]),
    );
    expect(topicSpecHash([orders])).not.toBe(topicSpecHash([{ ...orders, partitions: 4 }]));
  });

  it('refuse a list that names a topic twice or a spec of the wrong shape, in one line', () => {
    expect(() => parseTopicSpecs([orders, orders], 'Topics')).toThrow(/Topics is invalid: .*listed twice/);
    expect(() => parseTopicSpecs([{ ...orders, partitions: 0 }], 'Topics')).toThrow(
      /Topics is invalid: 0\.partitions/,
    );
  });
});
