import { platform } from '@apphub/platform';
import { describe, expect, it } from 'vitest';
import { MSK_KAFKA_VERSIONS, parseAppConfig } from '../../cdk/lib/config.js';
import { useSynthesized } from './support/synthesize.js';

const enabled = { APPHUB_STREAMING_ENABLED: '1' };

/**
 * The Apache Kafka configuration properties a custom MSK configuration may set, as listed on
 * https://docs.aws.amazon.com/msk/latest/developerguide/msk-configuration-properties.html
 * (Standard brokers). MSK rejects a configuration revision that sets anything else.
 */
const MSK_CONFIGURABLE_PROPERTIES = new Set([
  'allow.everyone.if.no.acl.found',
  'auto.create.topics.enable',
  'compression.type',
  'connections.max.idle.ms',
  'default.replication.factor',
  'delete.topic.enable',
  'group.initial.rebalance.delay.ms',
  'group.max.session.timeout.ms',
  'group.min.session.timeout.ms',
  'leader.imbalance.per.broker.percentage',
  'log.cleaner.delete.retention.ms',
  'log.cleaner.min.cleanable.ratio',
  'log.cleanup.policy',
  'log.flush.interval.messages',
  'log.flush.interval.ms',
  'log.retention.bytes',
  'log.retention.hours',
  'log.retention.minutes',
  'log.retention.ms',
  'log.roll.ms',
  'log.segment.bytes',
  'max.incremental.fetch.session.cache.slots',
  'message.max.bytes',
  'min.insync.replicas',
  'num.io.threads',
  'num.network.threads',
  'num.partitions',
  'num.recovery.threads.per.data.dir',
  'num.replica.fetchers',
  'offsets.retention.minutes',
  'replica.fetch.max.bytes',
  'replica.fetch.response.max.bytes',
  'replica.lag.time.max.ms',
  'replica.selector.class',
  'socket.receive.buffer.bytes',
  'socket.request.max.bytes',
  'socket.send.buffer.bytes',
  'transaction.max.timeout.ms',
  'transaction.state.log.min.isr',
  'transaction.state.log.replication.factor',
  'unclean.leader.election.enable',
]);

describe('mskKafkaVersion', () => {
  // MSK names its versions like 3.9.x (ZooKeeper) and 4.0.x.kraft (KRaft; Kafka 4 has no ZooKeeper):
  // https://docs.aws.amazon.com/msk/latest/developerguide/metadata-management.html#kraft-intro
  it("defaults to the newest version on MSK's supported-versions page, in KRaft mode", () => {
    // https://docs.aws.amazon.com/msk/latest/developerguide/supported-kafka-versions.html lists
    // 3.6.0 to 4.0.x (2025-05-16) as the supported versions (read 2026-12-07); 4.1.x is not on it.
    const config = parseAppConfig({}, enabled);

    expect(config.options.kafka).toMatchObject({ mode: 'msk', kafkaVersion: '4.0.x.kraft' });
    expect(platform.versions.mskKafka).toBe('4.0.x.kraft');
    expect(platform.versionNotes.mskKafka).toContain(
      'https://docs.aws.amazon.com/msk/latest/developerguide/supported-kafka-versions.html',
    );
    expect(MSK_KAFKA_VERSIONS).toContain(platform.versions.mskKafka);
  });

  it('refuses a name MSK does not know, with one line naming the allowed values', () => {
    const attempt = () => parseAppConfig({ 'apphub:mskKafkaVersion': '4.1.x' }, enabled);

    expect(attempt).toThrow(
      /mskKafkaVersion: expected an MSK version name, one of 3\.8\.x, .*4\.1\.x\.kraft/,
    );
    expect(() => attempt()).not.toThrow(/\n/);
  });

  it('accepts every listed name, and only names of the MSK forms', () => {
    for (const version of MSK_KAFKA_VERSIONS) {
      expect(parseAppConfig({ 'apphub:mskKafkaVersion': version }, enabled).options.kafka).toMatchObject({
        kafkaVersion: version,
      });
      expect(version).toMatch(/^\d+\.\d+\.x(\.kraft)?$/);
    }
  });
});

describe('the MSK cluster of the default deployment', () => {
  const synthesized = useSynthesized();

  function resource(type: string): { Properties: Record<string, unknown> } {
    const template = synthesized().template(synthesized().stacks.kafka!);
    const found = Object.values(template.findResources(type));
    expect(found).toHaveLength(1);
    return found[0] as { Properties: Record<string, unknown> };
  }

  it('creates a KRaft cluster whose configuration is made for the same version', () => {
    const cluster = resource('AWS::MSK::Cluster').Properties;
    const configuration = resource('AWS::MSK::Configuration').Properties;

    expect(cluster.KafkaVersion).toMatch(/\.kraft$/);
    expect(configuration.KafkaVersionsList).toEqual([cluster.KafkaVersion]);
  });

  it('sets only server properties MSK lets a custom configuration set', () => {
    const properties = String(resource('AWS::MSK::Configuration').Properties.ServerProperties)
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => line.split('=')[0]!.trim());

    expect(properties.length).toBeGreaterThan(0);
    expect(properties.filter((name) => !MSK_CONFIGURABLE_PROPERTIES.has(name))).toEqual([]);
  });

  it("follows the configuration's latest revision, so a changed property reaches the brokers", () => {
    // AWS::MSK::Configuration publishes LatestRevision.Revision; a fixed revision 1 would keep the
    // cluster on the first revision after an update:
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-msk-configuration.html
    const cluster = resource('AWS::MSK::Cluster').Properties;

    expect(cluster.ConfigurationInfo).toEqual({
      Arn: { 'Fn::GetAtt': [expect.stringMatching(/^Configuration/), 'Arn'] },
      Revision: { 'Fn::GetAtt': [expect.stringMatching(/^Configuration/), 'LatestRevision.Revision'] },
    });
  });

  it('names the configuration after the version, so a version change creates a new one instead of failing on the name', () => {
    // KafkaVersionsList cannot be updated in place, and a replacement under the same Name fails.
    const cluster = resource('AWS::MSK::Cluster').Properties;
    const configuration = resource('AWS::MSK::Configuration').Properties;

    expect(configuration.Name).toBe(
      `AppHubStreaming-kafka-${String(cluster.KafkaVersion).replaceAll('.', '-')}`,
    );
    expect(configuration.Name).toMatch(/^[0-9A-Za-z][0-9A-Za-z-]*$/);
  });
});
