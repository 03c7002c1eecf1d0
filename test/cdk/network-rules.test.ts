import { platform } from '@apphub/platform';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { useSynthesized } from './support/synthesize.js';

/** The default deployment (cdk.json). */
const synthesized = useSynthesized();

type Rule = Record<string, unknown>;

/** Every ingress rule of every template: standalone rules and those inline in a security group. */
function ingressRules(): Rule[] {
  return synthesized().assembly.stacks.flatMap((artifact) => {
    const resources = Object.values(
      (artifact.template as { Resources: Record<string, { Type: string; Properties?: Rule }> }).Resources,
    );
    return resources.flatMap((resource) => {
      if (resource.Type === 'AWS::EC2::SecurityGroupIngress') return [resource.Properties ?? {}];
      if (resource.Type === 'AWS::EC2::SecurityGroup')
        return (resource.Properties?.SecurityGroupIngress ?? []) as Rule[];
      return [];
    });
  });
}

/** Which of the network stack's groups a GetAtt names (Flink, Function, Kafka, KafkaClient), or "" for none. */
function groupOf(value: unknown): string {
  return JSON.stringify(value ?? '').match(/(Flink|Function|KafkaClient|Kafka)SecurityGroup/)?.[1] ?? '';
}

const single = (port: number) => `${port}-${port}`;

describe('security-group rules', () => {
  // A rule whose source is a security group admits only network interfaces in that group:
  // https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
  it('admit no address range or prefix list anywhere', () => {
    const open = ingressRules().filter((rule) =>
      ['CidrIp', 'CidrIpv6', 'SourcePrefixListId'].some((key) => key in rule),
    );

    expect(open).toEqual([]);
  });

  it('open each Flink port only to the groups that call it', () => {
    const { ports } = platform;
    const allowed = new Set([
      `Function->${single(ports.flinkRest)}`,
      `Function->${single(ports.sqlGateway)}`,
      `Flink->${single(ports.flinkRest)}`,
      `Flink->${single(ports.jobManagerRpc)}`,
      `Flink->${single(ports.blobServer)}`,
      `Flink->${ports.taskManagerRpcRange}`,
      `Flink->${ports.taskManagerDataRange}`,
      `Flink->${ports.metricsQueryServiceRange}`,
    ]);
    const intoFlink = ingressRules()
      .filter((rule) => groupOf(rule.GroupId) === 'Flink')
      .map((rule) => `${groupOf(rule.SourceSecurityGroupId)}->${rule.FromPort}-${rule.ToPort}`);

    expect(intoFlink.filter((rule) => !allowed.has(rule))).toEqual([]);
    expect(intoFlink).toContain(`Function->${single(ports.sqlGateway)}`);
  });
});

describe('the way in for producers', () => {
  const MSK_TLS = 9094;

  it("admits the exported Kafka clients group on the brokers' TLS port, and nothing else of it", () => {
    // MSK's TLS listener is 9094:
    // https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html
    const intoKafka = ingressRules()
      .filter((rule) => groupOf(rule.GroupId) === 'Kafka')
      .map((rule) => `${groupOf(rule.SourceSecurityGroupId)}->${rule.FromPort}-${rule.ToPort}`);
    const network = synthesized().template(synthesized().stacks.network);

    expect(intoKafka).toContain(`KafkaClient->${single(MSK_TLS)}`);
    expect(intoKafka.filter((rule) => rule.startsWith('KafkaClient->'))).toEqual([
      `KafkaClient->${single(MSK_TLS)}`,
    ]);
    network.hasOutput('KafkaClientSecurityGroupId', {
      Export: { Name: 'AppHubStreaming-KafkaClientSecurityGroupId' },
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KafkaClientSecurityGroup'), 'GroupId'] },
    });
  });

  it("publishes the cluster's TLS brokers and protocol in SSM and as outputs", () => {
    const kafka = synthesized().template(synthesized().stacks.kafka!);
    const brokers = {
      'Fn::GetAtt': [Match.stringLikeRegexp('^BootstrapBrokers'), 'BootstrapBrokerStringTls'],
    };

    kafka.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/AppHubStreaming/kafka/bootstrap-servers',
      Type: 'String',
      Value: brokers,
    });
    kafka.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/AppHubStreaming/kafka/security-protocol',
      Value: 'SSL',
    });
    kafka.hasOutput('KafkaBootstrapServers', { Value: brokers });
  });
});
