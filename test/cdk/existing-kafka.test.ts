import { sampleBatcherDescriptor } from '@apphub/microbatcher';
import { flinkKafkaTableOptions, platform } from '@apphub/platform';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cfnLint,
  countsSetAfterCreation,
  flinkTaskContainers,
  nagFindings,
  type Synthesized,
  synthesize,
} from './support/synthesize.js';

const subnets = ['subnet-0aaa1111', 'subnet-0bbb2222'];
const brokers = ['b-1.kafka.corp.internal:9092', 'b-2.kafka.corp.internal:9092'];
const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kafka-scram-AbCdEf';
const batchers = [
  { ...sampleBatcherDescriptor, prefix: 'lake/streaming' },
  { ...sampleBatcherDescriptor, dataset: 'clicks-1m', topic: 'clicks.aggregates', prefix: 'lake/streaming' },
];

/** An imported VPC, existing brokers, and every tunable set away from its default. */
let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize({
    'apphub:vpcId': 'vpc-0abc1234',
    'apphub:vpcAvailabilityZones': 'eu-west-1a,eu-west-1b',
    'apphub:vpcPrivateSubnetIds': subnets,
    'apphub:kafkaMode': 'existing',
    'apphub:kafkaBootstrapServers': brokers.join(','),
    'apphub:kafkaSecretArn': secretArn,
    'apphub:batchSize': '100',
    'apphub:batchingWindowSeconds': 30,
    'apphub:retryAttempts': -1,
    'apphub:onFailureDestination': 'none',
    'apphub:startingPosition': 'LATEST',
    'apphub:savepointScheduleMinutes': 15,
    'apphub:reconcileScheduleMinutes': 2,
    'apphub:taskManagerCount': 3,
    'apphub:taskManagerMaxCount': 6,
    'apphub:savepointMaxCount': 5,
    'apphub:serviceDiscoveryNamespace': 'flink.corp.internal',
    'apphub:batchers': batchers,
  });
}, 180_000);
afterAll(() => synthesized?.remove());

describe('an imported VPC with existing Kafka brokers', () => {
  it('creates no VPC and no MSK cluster, and places everything in the given subnets', () => {
    const network = synthesized.template(synthesized.stacks.network);
    const flink = synthesized.template(synthesized.stacks.flink);

    network.resourceCountIs('AWS::EC2::VPC', 0);
    network.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-0abc1234' });
    expect(synthesized.stacks.kafka).toBeUndefined();
    expect(synthesized.assembly.stacks.map((stack) => stack.templateFile).join()).not.toContain('Kafka');
    flink.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ Subnets: subnets }) },
    });
  });

  it('publishes the configured brokers and protocol in SSM, and creates no Kafka clients group', () => {
    const network = synthesized.template(synthesized.stacks.network);

    network.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/AppHubStreaming/kafka/bootstrap-servers',
      Value: brokers.join(','),
    });
    network.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/AppHubStreaming/kafka/security-protocol',
      Value: 'SASL_SSL',
    });
    expect(synthesized.stacks.network.kafkaClientSecurityGroup).toBeUndefined();
  });

  it('feeds the micro-batcher from the brokers through the VPC with the configured settings', () => {
    const template = synthesized.template(synthesized.stacks.functions);

    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      SelfManagedEventSource: { Endpoints: { KafkaBootstrapServers: brokers } },
      SelfManagedKafkaEventSourceConfig: {
        ConsumerGroupId: `AppHubStreaming.micro-batcher.${platform.topics.aggregates.name}`,
      },
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 30,
      MaximumRetryAttempts: -1,
      StartingPosition: 'LATEST',
      SourceAccessConfigurations: Match.arrayWith([
        {
          Type: 'VPC_SECURITY_GROUP',
          URI: { 'Fn::ImportValue': Match.stringLikeRegexp('Network.*FunctionSecurityGroup') },
        },
        { Type: 'VPC_SUBNET', URI: subnets[0] },
        { Type: 'VPC_SUBNET', URI: subnets[1] },
      ]),
    });
  });

  it('without an on-failure destination retries a batch until its records expire, and creates no failed-batch bucket', () => {
    const functions = synthesized.template(synthesized.stacks.functions);
    const observability = synthesized.template(synthesized.stacks.observability);
    const mappings = Object.values(functions.findResources('AWS::Lambda::EventSourceMapping')).map(
      (mapping) => (mapping as { Properties: Record<string, unknown> }).Properties,
    );

    expect(synthesized.stacks.storage.failedBatches).toBeUndefined();
    expect(mappings.map((mapping) => [mapping.MaximumRetryAttempts, mapping.DestinationConfig])).toEqual([
      [-1, undefined],
      [-1, undefined],
    ]);
    observability.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'TriggeredRules' }, 0);
    observability.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'OffsetLag' });
  });

  it("subscribes one event source per dataset topic and expires each dataset's dead letters", () => {
    const functions = synthesized.template(synthesized.stacks.functions);
    const storage = synthesized.template(synthesized.stacks.storage);
    const mappings = Object.values(functions.findResources('AWS::Lambda::EventSourceMapping')).map(
      (mapping) => (mapping as { Properties: { Topics: string[] } }).Properties.Topics,
    );

    expect(mappings.sort()).toEqual([['apphub.streaming.aggregates'], ['clicks.aggregates']]);
    storage.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'lake/streaming/user-activity-1m/dead-letter/', ExpirationInDays: 90 }),
          Match.objectLike({ Prefix: 'lake/streaming/clicks-1m/dead-letter/', ExpirationInDays: 90 }),
        ]),
      },
    });
  });

  it('gives the poller network-interface permissions instead of the MSK policy', () => {
    const template = synthesized.template(synthesized.stacks.functions);
    const managedPolicies = JSON.stringify(
      Object.values(template.findResources('AWS::IAM::Role')).map(
        (role) => (role as { Properties: { ManagedPolicyArns?: unknown } }).Properties.ManagedPolicyArns,
      ),
    );

    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['ec2:CreateNetworkInterface']), Resource: '*' }),
        ]),
      },
    });
    expect(managedPolicies).not.toContain('AWSLambdaMSKExecutionRole');
    expect(managedPolicies).toContain('AWSLambdaBasicExecutionRole');
  });

  it('applies the configured schedules, TaskManager bounds, namespace and savepoint retention', () => {
    const functions = synthesized.template(synthesized.stacks.functions);
    const flink = synthesized.template(synthesized.stacks.flink);

    functions.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SavepointFunction'), 'Arn'] } }),
      ],
    });
    functions.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(2 minutes)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReconcileFunction'), 'Arn'] } }),
      ],
    });
    expect([...countsSetAfterCreation(flink).values()]).toEqual([3]);
    functions.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ APPHUB_TASKMANAGER_MIN_COUNT: '3', APPHUB_TASKMANAGER_MAX_COUNT: '6' }),
      },
    });
    flink.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', {
      Name: 'flink.corp.internal',
      Vpc: 'vpc-0abc1234',
    });
    functions.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          APPHUB_FLINK_REST_URL: 'http://jobmanager.flink.corp.internal:8081',
          APPHUB_SAVEPOINT_MAX_COUNT: '5',
        }),
      },
    });
    functions.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ TIMESTORE_STREAMING_BATCHERS: JSON.stringify(batchers) }),
      },
    });
  });

  it('reaches the brokers with SASL/SCRAM over TLS from one description: event source, Flink tasks, job SQL', () => {
    // https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-configure.html: the event source takes
    // SASL/SCRAM over TLS (SASL_SSL) with the credentials in a Secrets Manager secret; the same secret's
    // username and password reach the Flink containers as ECS secrets
    // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html).
    const functions = synthesized.template(synthesized.stacks.functions);
    functions.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      SourceAccessConfigurations: Match.arrayWith([{ Type: 'SASL_SCRAM_512_AUTH', URI: secretArn }]),
    });
    const controlPlane = Object.values(functions.findResources('AWS::Lambda::Function'))
      .map((fn) => (fn as { Properties: { Environment?: { Variables: Record<string, string> } } }).Properties)
      .filter((properties) => properties.Environment?.Variables.APPHUB_FLINK_REST_URL !== undefined);
    expect(controlPlane.length).toBeGreaterThan(0);
    for (const properties of controlPlane) {
      const variables = properties.Environment!.Variables;
      expect(variables.APPHUB_KAFKA_BOOTSTRAP_SERVERS).toBe(brokers.join(','));
      expect(JSON.parse(variables.APPHUB_KAFKA_SECURITY!)).toEqual({
        protocol: 'SASL_SSL',
        mechanism: 'SCRAM-SHA-512',
        usernameVariable: 'KAFKA_SASL_USERNAME',
        passwordVariable: 'KAFKA_SASL_PASSWORD',
      });
    }
    const tasks = flinkTaskContainers(synthesized);
    const flinkContainers = tasks
      .flat()
      .filter((container) => ['jobmanager', 'taskmanager'].includes(container.Command?.[0] ?? ''));
    expect(flinkContainers).toHaveLength(2);
    for (const container of flinkContainers) {
      const secrets = (container as { Secrets?: { Name: string; ValueFrom: string }[] }).Secrets ?? [];
      expect(secrets).toEqual([
        { Name: 'KAFKA_SASL_USERNAME', ValueFrom: `${secretArn}:username::` },
        { Name: 'KAFKA_SASL_PASSWORD', ValueFrom: `${secretArn}:password::` },
      ]);
    }
    // The job's tables name the variables only; Kafka's env config provider reads them in the task.
    const options = flinkKafkaTableOptions(
      JSON.parse(controlPlane[0]!.Environment!.Variables.APPHUB_KAFKA_SECURITY!),
    );
    expect(options['properties.sasl.jaas.config']).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Kafka's ${env:NAME} config-provider reference
      'org.apache.flink.kafka.shaded.org.apache.kafka.common.security.scram.ScramLoginModule required username="${env:KAFKA_SASL_USERNAME}" password="${env:KAFKA_SASL_PASSWORD}";',
    );
    expect(options['properties.config.providers.env.class']).toBe(
      'org.apache.flink.kafka.shaded.org.apache.kafka.common.config.provider.EnvVarConfigProvider',
    );
  });

  it('passes cdk-nag AwsSolutions and cfn-lint', () => {
    expect(nagFindings(synthesized.assembly)).toEqual([]);
    const lint = cfnLint(synthesized.assembly);
    expect(lint.templates.length).toBe(5);
    expect(lint.errors).toEqual([]);
  });
});

describe('the topic manager and the smoke function on existing brokers', () => {
  function functionNamed(prefix: string) {
    const template = synthesized.template(synthesized.stacks.functions);
    const [id, resource] = Object.entries(template.findResources('AWS::Lambda::Function')).find(
      ([logicalId]) => logicalId.startsWith(prefix),
    ) as [
      string,
      {
        Properties: { Role: { 'Fn::GetAtt': [string] }; Environment: { Variables: Record<string, unknown> } };
      },
    ];
    const roleId = resource.Properties.Role['Fn::GetAtt'][0];
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .map(
        (policy) =>
          (
            policy as {
              Properties: {
                Roles: { Ref?: string }[];
                PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] };
              };
            }
          ).Properties,
      )
      .filter((policy) => policy.Roles.some((role) => role.Ref === roleId))
      .flatMap((policy) => policy.PolicyDocument.Statement);
    return { id, variables: resource.Properties.Environment.Variables, statements };
  }

  it('applies the topics to the configured brokers, with the SCRAM credentials read from the secret at start', () => {
    const template = synthesized.template(synthesized.stacks.functions);
    const manager = functionNamed('TopicManager');

    template.resourceCountIs('Custom::KafkaTopics', 1);
    template.hasResource('Custom::KafkaTopics', {
      Properties: Match.objectLike({ ServiceToken: { 'Fn::GetAtt': [manager.id, 'Arn'] } }),
    });
    expect(manager.variables.APPHUB_KAFKA_BOOTSTRAP_SERVERS).toBe(brokers.join(','));
    expect(JSON.parse(manager.variables.APPHUB_KAFKA_SECURITY as string)).toMatchObject({
      protocol: 'SASL_SSL',
      mechanism: 'SCRAM-SHA-512',
    });
    expect(manager.variables.APPHUB_KAFKA_SECRET_ARN).toBe(secretArn);
    // The secret's content never enters the function's configuration.
    expect(JSON.stringify(manager.variables)).not.toMatch(/resolve:secretsmanager/);
    expect(manager.statements).toEqual([
      {
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Effect: 'Allow',
        Resource: secretArn,
      },
    ]);
  });

  it('gives the smoke function the same brokers and secret', () => {
    const smoke = functionNamed('SmokeFunction');

    expect(smoke.variables.APPHUB_KAFKA_BOOTSTRAP_SERVERS).toBe(brokers.join(','));
    expect(smoke.variables.APPHUB_KAFKA_SECRET_ARN).toBe(secretArn);
    expect(smoke.statements).toContainEqual(
      expect.objectContaining({
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Resource: secretArn,
      }),
    );
  });
});
