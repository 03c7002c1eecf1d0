import { platformTopicSpecs, topicSpecHash } from '@apphub/topics';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { smokeFunctionName } from '../../cdk/lib/function-names.js';
import { useSynthesized } from './support/synthesize.js';

/** The default deployment (cdk.json): a new VPC and an MSK cluster. */
const synthesized = useSynthesized();
const startedAt = Date.now();

type Resource = { Type: string; Properties: Record<string, unknown>; DependsOn?: string[] };

function resources(stack: 'functions' | 'network' | 'kafka', type: string): [string, Resource][] {
  const template = synthesized().template(synthesized().stacks[stack]!);
  return Object.entries(template.findResources(type)) as [string, Resource][];
}

/** The function whose logical id starts with `prefix`, and the inline statements of its role. */
function fn(prefix: string) {
  const [id, resource] = resources('functions', 'AWS::Lambda::Function').find(([logicalId]) =>
    logicalId.startsWith(prefix),
  )!;
  const roleId = (resource.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements = resources('functions', 'AWS::IAM::Policy')
    .filter(([, policy]) =>
      (policy.Properties.Roles as { Ref?: string }[]).some((role) => role.Ref === roleId),
    )
    .flatMap(
      ([, policy]) =>
        (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
  return { id, roleId, properties: resource.Properties, statements };
}

describe('the topic manager', () => {
  it('runs as a custom resource with the platform topics, their hash and a value new at every synth', () => {
    const topicSets = resources('functions', 'Custom::KafkaTopics');
    const manager = fn('TopicManager');

    expect(topicSets).toHaveLength(1);
    const [, topics] = topicSets[0]!;
    expect(topics.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [manager.id, 'Arn'] });
    expect(JSON.parse(topics.Properties.Topics as string)).toEqual(platformTopicSpecs());
    expect(topics.Properties.SpecHash).toBe(topicSpecHash(platformTopicSpecs()));
    // A changed property is what makes CloudFormation send Update: a synth-time value makes every
    // deploy re-apply the spec (as local:up does at every start), the hash names the spec it applied.
    const nonce = Date.parse(topics.Properties.DeployNonce as string);
    expect(nonce).toBeGreaterThanOrEqual(startedAt - 1_000);
    expect(nonce).toBeLessThanOrEqual(Date.now());
  });

  it('is answered or failed before CloudFormation would wait an hour', () => {
    // ServiceTimeout bounds the wait for a custom resource's answer (default 3600 s):
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudformation-customresource.html
    const [, topics] = resources('functions', 'Custom::KafkaTopics')[0]!;
    const manager = fn('TopicManager');

    expect(Number(topics.Properties.ServiceTimeout)).toBeGreaterThan(Number(manager.properties.Timeout));
    expect(Number(topics.Properties.ServiceTimeout)).toBeLessThanOrEqual(600);
  });

  it('creates the topics before any event source mapping polls them', () => {
    const [topicsId] = resources('functions', 'Custom::KafkaTopics')[0]!;
    const mappings = resources('functions', 'AWS::Lambda::EventSourceMapping');

    expect(mappings.length).toBeGreaterThan(0);
    for (const [, mapping] of mappings) expect(mapping.DependsOn).toContain(topicsId);
  });

  it('reaches MSK over TLS from the VPC, in the function security group, which the brokers admit on 9094', () => {
    const manager = fn('TopicManager');

    expect(
      JSON.stringify((manager.properties.VpcConfig as { SecurityGroupIds: unknown[] }).SecurityGroupIds),
    ).toMatch(/FunctionSecurityGroup/);
    const variables = (manager.properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(JSON.parse(variables.APPHUB_KAFKA_SECURITY as string)).toEqual({ protocol: 'SSL' });
    expect(JSON.stringify(variables.APPHUB_KAFKA_BOOTSTRAP_SERVERS)).toMatch(/BootstrapBrokerStringTls/);
    expect(variables.APPHUB_KAFKA_SECRET_ARN).toBeUndefined();
    const network = synthesized().template(synthesized().stacks.network);
    network.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KafkaSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FunctionSecurityGroup'), 'GroupId'] },
      FromPort: 9094,
      ToPort: 9094,
    });
  });

  it('needs no permission beyond its logs and network interfaces on MSK (unauthenticated TLS, no IAM auth)', () => {
    const manager = fn('TopicManager');
    const [, role] = resources('functions', 'AWS::IAM::Role').find(([id]) => id === manager.roleId)!;

    expect(manager.statements).toEqual([]);
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toMatch(/AWSLambdaBasicExecutionRole/);
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toMatch(/AWSLambdaVPCAccessExecutionRole/);
  });

  it('leaves MSK no way to create a topic by use: auto-creation is off', () => {
    // auto.create.topics.enable is one of the properties a custom MSK configuration sets:
    // https://docs.aws.amazon.com/msk/latest/developerguide/msk-configuration-properties.html
    const [[, configuration]] = resources('kafka', 'AWS::MSK::Configuration') as [[string, Resource]];
    const properties = String(configuration.Properties.ServerProperties).split('\n');

    expect(properties).toContain('auto.create.topics.enable=false');
    expect(properties.filter((line) => line.startsWith('auto.create.topics.enable'))).toHaveLength(1);
  });
});

describe('the smoke function', () => {
  it('is named after the stack prefix, runs in the VPC with the function security group, and may run 15 minutes', () => {
    const smoke = fn('SmokeFunction');

    expect(smoke.properties.FunctionName).toBe(smokeFunctionName('AppHubStreaming'));
    expect(JSON.stringify(smoke.properties.VpcConfig)).toMatch(/FunctionSecurityGroup/);
    expect(smoke.properties.Timeout).toBe(900);
    const variables = (smoke.properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(variables).sort()).toEqual(
      [
        'APPHUB_DATA_LAKE_BUCKET',
        'APPHUB_FLINK_REST_URL',
        'APPHUB_KAFKA_BOOTSTRAP_SERVERS',
        'APPHUB_KAFKA_SECURITY',
        'APPHUB_MICRO_BATCHER_FUNCTION',
        'APPHUB_WATERMARK_TABLE',
        'LOG_LEVEL',
        'NODE_OPTIONS',
        'TIMESTORE_STREAMING_BATCHERS',
      ].sort(),
    );
  });

  it('only reads the lake and the watermarks, and invokes only the micro-batcher', () => {
    const smoke = fn('SmokeFunction');
    const actions = smoke.statements.flatMap((statement) => [statement.Action].flat() as string[]);
    const invoke = smoke.statements.find((statement) => statement.Action === 'lambda:InvokeFunction');

    expect(actions.filter((action) => /Put|Delete|Update|Write|Abort/.test(action))).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject*', 'dynamodb:GetItem', 'dynamodb:Query']));
    expect(JSON.stringify(invoke?.Resource)).toMatch(/MicroBatcherFunction/);
    expect(JSON.stringify(smoke.statements.filter((statement) => statement !== invoke))).not.toMatch(
      /lambda:/,
    );
  });
});
