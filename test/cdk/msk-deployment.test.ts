import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createControlPlane, parseControlPlaneConfig, renderRequestSql } from '@apphub/control-plane';
import {
  consumerGroupIdFor,
  eventSourceDefaults,
  REPLAYED_PREFIX,
  sampleBatcherDescriptor,
  sampleBatchersJson,
} from '@apphub/microbatcher';
import { METRIC_NAMESPACE, MetricName } from '@apphub/observability';
import { platform } from '@apphub/platform';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderEcsFlinkSettings } from '../../cdk/lib/flink-settings.js';
import { JOBS_NOT_RUNNING_LABEL } from '../../cdk/lib/stacks/observability-stack.js';
import { PROJECT_ROOT } from '../../cdk/lib/streaming-app.js';
import { loadEventSourceSettings } from '../../local/src/batcher/index.js';
import { parseFlinkProperties } from '../../local/src/manifests/index.js';
import { sampleJobVariables } from '../../local/src/sample/submit.js';
import {
  cfnLint,
  countsSetAfterCreation,
  nagFindings,
  type Synthesized,
  synthesize,
} from './support/synthesize.js';

/** The default deployment (cdk.json): a new VPC, an MSK cluster created by the stack. */
let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize();
}, 180_000);
afterAll(() => synthesized?.remove());

/** A deployable stand-in for a CloudFormation value (imports and joins resolve only in AWS). */
function placeholderFor(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join)
    return join[1].map((part) => (typeof part === 'string' ? part : 'placeholder-name')).join(join[0]);
  return 'placeholder-name';
}

/** Properties of every resource of `type` in a template. */
function propertiesOf(
  template: ReturnType<Synthesized['template']>,
  type: string,
): Record<string, unknown>[] {
  return Object.values(template.findResources(type)).map(
    (resource) => (resource as { Properties: Record<string, unknown> }).Properties,
  );
}

/** The policy statements attached to the role whose logical id contains `rolePart`. */
function statementsOfRole(template: ReturnType<Synthesized['template']>, rolePart: string) {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .map(
      (resource) =>
        (resource as { Properties: { Roles: unknown[]; PolicyDocument: { Statement: unknown[] } } })
          .Properties,
    )
    .filter((policy) => JSON.stringify(policy.Roles).includes(rolePart))
    .flatMap(
      (policy) => policy.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
    );
}

/** Stands for the checkpoint bucket's name, which is a cross-stack import in the template. */
const BUCKET = '<checkpoint-bucket>';

/** A template string value, with every Fn::Join part that is not a string replaced by BUCKET. */
function joinWithBucket(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join === undefined) throw new Error(`not a string or Fn::Join: ${JSON.stringify(value)}`);
  return join[1].map((part) => (typeof part === 'string' ? part : BUCKET)).join(join[0]);
}

function actionsOn(
  statements: Array<{ Action: string | string[]; Resource: unknown }>,
  resourceSuffix: string,
) {
  return statements
    .filter((statement) => JSON.stringify(statement.Resource).includes(resourceSuffix))
    .flatMap((statement) => [statement.Action].flat());
}

describe('network', () => {
  it('opens Flink REST and the SQL Gateway only to the control-plane security group, never to an address range', () => {
    const template = synthesized.template(synthesized.stacks.network);
    const ingress = propertiesOf(template, 'AWS::EC2::SecurityGroupIngress');
    const flinkGroup = { 'Fn::GetAtt': [Match.stringLikeRegexp('^FlinkSecurityGroup'), 'GroupId'] };
    const functionGroup = { 'Fn::GetAtt': [Match.stringLikeRegexp('^FunctionSecurityGroup'), 'GroupId'] };

    for (const port of [platform.ports.flinkRest, platform.ports.sqlGateway]) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: flinkGroup,
        SourceSecurityGroupId: functionGroup,
        FromPort: port,
        ToPort: port,
        IpProtocol: 'tcp',
      });
    }
    expect(ingress.filter((rule) => 'CidrIp' in rule || 'CidrIpv6' in rule)).toEqual([]);
    for (const group of propertiesOf(template, 'AWS::EC2::SecurityGroup')) {
      expect(group.SecurityGroupIngress ?? []).toEqual([]);
    }
  });

  it('lets Flink components reach each other on the platform ports only', () => {
    const template = synthesized.template(synthesized.stacks.network);
    const selfRules = propertiesOf(template, 'AWS::EC2::SecurityGroupIngress').filter(
      (rule) =>
        JSON.stringify(rule.GroupId).includes('FlinkSecurityGroup') &&
        JSON.stringify(rule.SourceSecurityGroupId).includes('FlinkSecurityGroup'),
    );
    const ranges = selfRules.map((rule) => `${rule.FromPort}-${rule.ToPort}`).sort();

    expect(ranges).toEqual(
      [
        `${platform.ports.flinkRest}-${platform.ports.flinkRest}`,
        `${platform.ports.jobManagerRpc}-${platform.ports.jobManagerRpc}`,
        `${platform.ports.blobServer}-${platform.ports.blobServer}`,
        platform.ports.taskManagerRpcRange,
        platform.ports.taskManagerDataRange,
        platform.ports.metricsQueryServiceRange,
      ].sort(),
    );
  });

  it('lets Flink and the MSK event source poller reach the brokers over TLS', () => {
    const template = synthesized.template(synthesized.stacks.network);
    const kafkaGroup = { 'Fn::GetAtt': [Match.stringLikeRegexp('^KafkaSecurityGroup'), 'GroupId'] };

    for (const source of ['^FlinkSecurityGroup', '^KafkaSecurityGroup']) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: kafkaGroup,
        SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp(source), 'GroupId'] },
        FromPort: 9094,
        ToPort: 9094,
      });
    }
  });
});

describe('storage', () => {
  it('encrypts, blocks public access and enforces TLS on both buckets, named after the platform names', () => {
    const template = synthesized.template(synthesized.stacks.storage);

    for (const id of ['ApphubFlinkCheckpoints', 'ApphubStreamingLake']) {
      const [bucket] = Object.keys(template.findResources('AWS::S3::Bucket')).filter((key) =>
        key.startsWith(id),
      );
      expect(bucket, id).toBeDefined();
      expect(template.toJSON().Resources[bucket!].Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: { DestinationBucketName: expect.anything() },
      });
    }
    const policies = propertiesOf(template, 'AWS::S3::BucketPolicy');
    const tlsDenials = policies.filter((policy) =>
      JSON.stringify(policy).includes('"aws:SecureTransport":"false"'),
    );
    expect(tlsDenials.length).toBe(policies.length);
  });

  it('expires old savepoints and dead letters by lifecycle rule', () => {
    const template = synthesized.template(synthesized.stacks.storage);

    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'savepoints/', ExpirationInDays: 30, Status: 'Enabled' }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Prefix: `streaming/${sampleBatcherDescriptor.dataset}/dead-letter/`,
            ExpirationInDays: 90,
            Status: 'Enabled',
          }),
        ]),
      },
    });
  });

  it('creates the platform tables with their keys and point-in-time recovery', () => {
    const template = synthesized.template(synthesized.stacks.storage);
    const expected: Array<[string, Array<[string, string]>]> = [
      [
        'StreamingWatermarks',
        [
          ['pk', 'HASH'],
          ['sk', 'RANGE'],
        ],
      ],
      ['StreamingJobs', [['jobName', 'HASH']]],
      [
        'StreamingSavepoints',
        [
          ['jobName', 'HASH'],
          ['savepointId', 'RANGE'],
        ],
      ],
    ];

    for (const [logicalId, keys] of expected) {
      const found = Object.entries(template.findResources('AWS::DynamoDB::Table')).filter(([key]) =>
        key.startsWith(logicalId),
      );
      expect(found, logicalId).toHaveLength(1);
      expect((found[0]![1] as { Properties: Record<string, unknown> }).Properties).toMatchObject({
        KeySchema: keys.map(([AttributeName, KeyType]) => ({ AttributeName, KeyType })),
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    }
  });
});

describe('Kafka', () => {
  it('creates an MSK cluster with TLS-only clients, in-cluster encryption and broker logs', () => {
    const kafka = synthesized.stacks.kafka;
    expect(kafka).toBeDefined();
    const template = synthesized.template(kafka!);

    template.hasResourceProperties('AWS::MSK::Cluster', {
      EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true } },
      LoggingInfo: { BrokerLogs: { CloudWatchLogs: Match.objectLike({ Enabled: true }) } },
      KafkaVersion: platform.versions.mskKafka,
    });
  });

  it('feeds the micro-batcher from the MSK cluster with the settings npm run batcher runs with', () => {
    const template = synthesized.template(synthesized.stacks.functions);
    const settings = loadEventSourceSettings();

    // cdk.json sets none of them, so these are the shared defaults.
    expect(settings).toEqual(eventSourceDefaults);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::ImportValue': Match.stringLikeRegexp('Kafka.*ClusterArn') },
      Topics: [platform.topics.aggregates.name],
      BatchSize: settings.batchSize,
      MaximumBatchingWindowInSeconds: settings.batchingWindowSeconds,
      MaximumRetryAttempts: settings.retryAttempts,
      StartingPosition: settings.startingPosition,
      AmazonManagedKafkaEventSourceConfig: {
        ConsumerGroupId: consumerGroupIdFor('AppHubStreaming', platform.topics.aggregates.name),
      },
      ProvisionedPollerConfig: {
        MinimumPollers: settings.minimumPollers,
        MaximumPollers: settings.maximumPollers,
      },
    });
  });

  it('keeps every failed batch: an S3 on-failure destination in a bucket of its own, never SQS', () => {
    const functions = synthesized.template(synthesized.stacks.functions);
    const storage = synthesized.template(synthesized.stacks.storage);

    // An SQS (or SNS) destination receives metadata only; an S3 one the whole invocation record.
    // https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html
    functions.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::ImportValue': Match.stringLikeRegexp('FailedBatches.*Arn') } },
      },
    });
    functions.resourceCountIs('AWS::SQS::Queue', 0);
    // Versioned, as the page recommends; private, encrypted, TLS-only and access-logged like every bucket.
    storage.hasResourceProperties('AWS::S3::Bucket', {
      VersioningConfiguration: { Status: 'Enabled' },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      PublicAccessBlockConfiguration: Match.objectLike({
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      }),
      BucketEncryption: Match.anyValue(),
      LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'expire-failed-batches', ExpirationInDays: 365, Status: 'Enabled' }),
          Match.objectLike({ Id: 'expire-replayed-batches', Prefix: REPLAYED_PREFIX, ExpirationInDays: 30 }),
          Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
        ]),
      },
    });
    storage.hasOutput('FailedBatchBucketName', Match.anyValue());
  });

  it('lets the micro-batcher only put and list in the failed-batch bucket, in its own account', () => {
    const template = synthesized.template(synthesized.stacks.functions);
    const statements = statementsOfRole(template, 'MicroBatcher') as Array<{
      Action: string | string[];
      Resource: unknown;
      Condition?: unknown;
    }>;
    const onFailedBatches = statements.filter((statement) =>
      JSON.stringify(statement.Resource).includes('FailedBatches'),
    );

    expect(onFailedBatches.flatMap((statement) => [statement.Action].flat()).sort()).toEqual([
      's3:ListBucket',
      's3:PutObject',
    ]);
    for (const statement of onFailedBatches) {
      expect(statement.Condition).toEqual({
        StringEquals: { 's3:ResourceAccount': { Ref: 'AWS::AccountId' } },
      });
    }
  });
});

describe('Kafka clients reach MSK', () => {
  // MSK's client listeners: https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html (TLS is
  // 9094); with encryptionInTransit.clientBroker TLS the cluster opens no plaintext listener
  // (https://docs.aws.amazon.com/msk/latest/developerguide/msk-encryption.html), so every client must
  // set security.protocol=SSL: the Flink job's tables (rendered by the control plane from its
  // environment) and the event source.
  function controlPlaneVariables(): Record<string, unknown> {
    const template = synthesized.template(synthesized.stacks.functions);
    const fn = propertiesOf(template, 'AWS::Lambda::Function').find((candidate) =>
      JSON.stringify(candidate.Environment).includes('APPHUB_JOBS_TABLE'),
    )!;
    return (fn.Environment as { Variables: Record<string, unknown> }).Variables;
  }

  it("gives the control plane the cluster's TLS bootstrap brokers, read with GetBootstrapBrokers", () => {
    const kafka = synthesized.template(synthesized.stacks.kafka!);
    const [brokers] = Object.entries(kafka.findResources('Custom::AWS')).map(([id, resource]) => ({
      id,
      create: JSON.stringify((resource as { Properties: Record<string, unknown> }).Properties),
    }));
    expect(brokers?.create).toContain('getBootstrapBrokers');
    expect(brokers?.create).toContain('ClusterArn');
    // The value crosses stacks as an export of the custom resource's BootstrapBrokerStringTls.
    expect(JSON.stringify(controlPlaneVariables().APPHUB_KAFKA_BOOTSTRAP_SERVERS)).toMatch(/Fn::ImportValue/);
    const outputs = JSON.stringify(kafka.toJSON().Outputs);
    expect(outputs).toContain('BootstrapBrokerStringTls');
  });

  it('renders SSL into every Kafka table of the sample job, as the control plane submits it', async () => {
    const variables = controlPlaneVariables();
    expect(JSON.parse(variables.APPHUB_KAFKA_SECURITY as string)).toEqual({ protocol: 'SSL' });
    const plane = createControlPlane(
      parseControlPlaneConfig({
        APPHUB_FLINK_REST_URL: 'http://jobmanager.internal:8081',
        APPHUB_SQL_GATEWAY_URL: 'http://sql-gateway.internal:8083',
        APPHUB_JOBS_TABLE: 'jobs',
        APPHUB_SAVEPOINTS_TABLE: 'savepoints',
        APPHUB_LEASES_TABLE: 'leases',
        APPHUB_SAVEPOINT_DIR: 's3://bucket/savepoints',
        APPHUB_KAFKA_BOOTSTRAP_SERVERS: 'b-1.msk:9094,b-2.msk:9094',
        APPHUB_KAFKA_SECURITY: variables.APPHUB_KAFKA_SECURITY as string,
      }),
    );
    const template = readFileSync(path.join(PROJECT_ROOT, platform.sampleJob.sqlTemplate), 'utf8');

    const sql = renderRequestSql(plane, 'sample', template, sampleJobVariables());

    const tables = sql.split('CREATE TEMPORARY TABLE ').slice(1);
    expect(tables).toHaveLength(3);
    for (const table of tables) {
      expect(table).toContain("'properties.bootstrap.servers' = 'b-1.msk:9094,b-2.msk:9094'");
      expect(table).toContain("'properties.security.protocol' = 'SSL'");
      // MSK's certificates chain to Amazon's public CA: the JVM's own trust store, no file to ship.
      expect(table).not.toContain('truststore');
    }
  });
});

describe('Flink on ECS', () => {
  it("leaves the TaskManager count to the control plane after creation, so a deploy keeps a rescale's count", () => {
    // An AWS::ECS::Service DesiredCount in the template is applied at every stack update, undoing a
    // rescale; without it CloudFormation creates the service with 1 task and keeps the current count
    // on updates: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ecs-service.html#cfn-ecs-service-desiredcount
    const template = synthesized.template(synthesized.stacks.flink);
    const services = template.findResources('AWS::ECS::Service');
    const taskManagers = Object.entries(services).filter(([id]) => id.startsWith('TaskManager'));

    expect(taskManagers).toHaveLength(1);
    expect(
      (taskManagers[0]![1] as { Properties: Record<string, unknown> }).Properties.DesiredCount,
    ).toBeUndefined();
    expect([...countsSetAfterCreation(template).values()]).toEqual([platform.flink.taskManagers]);
  });

  it('runs one JobManager that is never doubled, and the configured TaskManager count without CPU autoscaling', () => {
    const template = synthesized.template(synthesized.stacks.flink);

    template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 1,
      DeploymentConfiguration: Match.objectLike({ MaximumPercent: 100, MinimumHealthyPercent: 0 }),
      LaunchType: 'FARGATE',
    });
    // CPU autoscaling gives a running job no parallelism and stops busy TaskManagers; rescale does it.
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 0);
    for (const service of propertiesOf(template, 'AWS::ECS::Service')) {
      expect(service.NetworkConfiguration).toMatchObject({
        AwsvpcConfiguration: { AssignPublicIp: 'DISABLED' },
      });
    }
  });

  it('registers the JobManager and SQL Gateway in Cloud Map under the names the Lambdas use', () => {
    const flink = synthesized.template(synthesized.stacks.flink);
    const functions = synthesized.template(synthesized.stacks.functions);

    flink.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', {
      Name: 'apphubstreaming.internal',
    });
    flink.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'jobmanager' });
    flink.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'sql-gateway' });
    functions.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          APPHUB_FLINK_REST_URL: `http://jobmanager.apphubstreaming.internal:${platform.ports.flinkRest}`,
          APPHUB_SQL_GATEWAY_URL: `http://sql-gateway.apphubstreaming.internal:${platform.ports.sqlGateway}`,
        }),
      },
    });
  });

  it('passes exactly the ECS rendering of the platform Flink settings as FLINK_PROPERTIES', () => {
    const template = synthesized.template(synthesized.stacks.flink);
    const containers = propertiesOf(template, 'AWS::ECS::TaskDefinition').flatMap(
      (task) =>
        task.ContainerDefinitions as Array<{
          Command: string[];
          Environment?: Array<{ Name: string; Value: unknown }>;
        }>,
    );
    const byCommand = new Map(
      containers
        .filter((container) => container.Command)
        .map((container) => [container.Command[0], container]),
    );
    const expected = renderEcsFlinkSettings({
      namespace: 'apphubstreaming.internal',
      checkpointBucket: BUCKET,
      jobManagerMemoryMiB: 2048,
      taskManagerMemoryMiB: 4096,
    });

    expect([...byCommand.keys()].sort()).toEqual([
      '/opt/flink/bin/sql-gateway.sh',
      'jobmanager',
      'taskmanager',
    ]);
    for (const command of ['jobmanager', 'taskmanager']) {
      const variable = byCommand
        .get(command)
        ?.Environment?.find((entry) => entry.Name === 'FLINK_PROPERTIES');
      expect(parseFlinkProperties(joinWithBucket(variable?.Value))).toEqual(expected);
    }
    expect(expected['execution.checkpointing.dir']).toBe(`s3://${BUCKET}/checkpoints`);
    expect(expected['execution.checkpointing.savepoint-dir']).toBe(`s3://${BUCKET}/savepoints`);
    const gatewayProperties = byCommand
      .get('/opt/flink/bin/sql-gateway.sh')
      ?.Environment?.find((entry) => entry.Name === 'FLINK_PROPERTIES');
    expect(parseFlinkProperties(joinWithBucket(gatewayProperties?.Value))).toMatchObject({
      'execution.target': 'remote',
      'sql-gateway.endpoint.rest.port': String(platform.ports.sqlGateway),
      'execution.checkpointing.interval': platform.flink.settings['execution.checkpointing.interval'],
      'execution.checkpointing.dir': `s3://${BUCKET}/checkpoints`,
    });
  });

  it('builds the image from infra/ with infra/flink-image/Dockerfile and the pinned versions', () => {
    const manifest = JSON.parse(
      readFileSync(
        path.join(synthesized.outdir, `${synthesized.stacks.flink.artifactId}.assets.json`),
        'utf8',
      ),
    ) as {
      dockerImages: Record<
        string,
        { source: { directory: string; dockerFile: string; dockerBuildArgs: Record<string, string> } }
      >;
    };
    const images = Object.values(manifest.dockerImages);

    expect(images).toHaveLength(1);
    expect(images[0]?.source.dockerBuildArgs).toEqual({
      FLINK_VERSION: platform.versions.flink,
      KAFKA_CONNECTOR_VERSION: platform.versions.flinkKafkaConnector,
    });
    const context = path.join(synthesized.outdir, images[0]!.source.directory);
    expect(images[0]?.source.dockerFile).toBe('flink-image/Dockerfile');
    expect(existsSync(path.join(context, 'flink-image', 'Dockerfile'))).toBe(true);
    // Everything the Dockerfile copies from its context (the SQL templates, the format's sources) is in it.
    const copied = readFileSync(path.join(context, 'flink-image', 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .map((line) => line.split(/\s+/).filter((word) => !word.startsWith('--'))[1]!);
    expect(copied).toEqual(['flink-format/src', 'sql/']);
    for (const source of copied) expect(existsSync(path.join(context, source)), source).toBe(true);
    expect(existsSync(path.join(context, 'sql', 'tumbling-window.sql'))).toBe(true);
  });

  it('lets only the JobManager and TaskManagers touch the checkpoint bucket, under its two prefixes', () => {
    const template = synthesized.template(synthesized.stacks.flink);

    for (const role of ['JobManagerTaskTaskRole', 'TaskManagerTaskTaskRole']) {
      const statements = statementsOfRole(template, role);
      expect(actionsOn(statements, '/checkpoints/*')).toEqual(
        expect.arrayContaining(['s3:PutObject', 's3:DeleteObject*']),
      );
      expect(actionsOn(statements, '/savepoints/*')).toEqual(
        expect.arrayContaining(['s3:PutObject', 's3:GetObject*']),
      );
      const objectResources = statements
        .flatMap((statement) => [statement.Resource].flat())
        .map((r) => JSON.stringify(r));
      expect(
        objectResources.filter((r) => r.includes('/*') && !/\/(checkpoints|savepoints)\/\*/.test(r)),
      ).toEqual([]);
    }
    expect(statementsOfRole(template, 'SqlGatewayTaskTaskRole')).toEqual([]);
  });

  it('health-checks the JobManager and SQL Gateway REST endpoints inside the task', () => {
    const template = synthesized.template(synthesized.stacks.flink);
    const containers = propertiesOf(template, 'AWS::ECS::TaskDefinition').flatMap(
      (task) =>
        task.ContainerDefinitions as Array<{ Command: string[]; HealthCheck?: { Command: string[] } }>,
    );
    const healthOf = (command: string) =>
      containers.find((container) => container.Command?.[0] === command)?.HealthCheck?.Command.join(' ');

    expect(healthOf('jobmanager')).toContain(`http://127.0.0.1:${platform.ports.flinkRest}/overview`);
    expect(healthOf('/opt/flink/bin/sql-gateway.sh')).toContain(
      `http://127.0.0.1:${platform.ports.sqlGateway}/api_versions`,
    );
    expect(healthOf('taskmanager')).toBeUndefined();
  });

  it('sends every container log to CloudWatch', () => {
    const template = synthesized.template(synthesized.stacks.flink);
    const containers = propertiesOf(template, 'AWS::ECS::TaskDefinition').flatMap(
      (task) => task.ContainerDefinitions as Array<{ LogConfiguration: { LogDriver: string } }>,
    );

    expect(containers.length).toBe(5);
    expect(new Set(containers.map((container) => container.LogConfiguration.LogDriver))).toEqual(
      new Set(['awslogs']),
    );
  });
});

describe('functions', () => {
  it('runs every handler on an explicit current Node.js runtime with the shared layer', () => {
    const template = synthesized.template(synthesized.stacks.functions);
    const functions = propertiesOf(template, 'AWS::Lambda::Function');

    expect(functions.map((fn) => fn.Runtime)).toEqual(Array(7).fill('nodejs24.x'));
    for (const fn of functions) {
      expect(fn.Layers).toEqual([{ Ref: expect.stringMatching(/^RuntimeLayer/) }]);
    }
  });

  it('gives the micro-batcher its contract variables and the control plane theirs', () => {
    const template = synthesized.template(synthesized.stacks.functions);

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TIMESTORE_STREAMING_BATCHERS: sampleBatchersJson,
          APPHUB_DATA_LAKE_BUCKET: Match.anyValue(),
          APPHUB_WATERMARK_TABLE: Match.anyValue(),
        }),
      },
    });
    const controlPlane = propertiesOf(template, 'AWS::Lambda::Function').filter((fn) =>
      JSON.stringify(fn.Environment).includes('APPHUB_JOBS_TABLE'),
    );
    expect(controlPlane).toHaveLength(4);
    for (const fn of controlPlane) {
      const variables = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
      const rescale = Object.keys(variables).filter((name) => name.startsWith('APPHUB_TASKMANAGER_'));
      // Only reconcile runs the autoscale pass.
      const autoscale = Object.keys(variables).filter((name) => name.startsWith('APPHUB_AUTOSCALE'));
      expect(autoscale.length === 0 || autoscale.length === 2).toBe(true);
      expect(Object.keys(variables).sort()).toEqual(
        [
          ...rescale,
          ...autoscale,
          'APPHUB_CHECKPOINT_DIR',
          'APPHUB_FLINK_REST_URL',
          'APPHUB_JOBS_TABLE',
          'APPHUB_KAFKA_BOOTSTRAP_SERVERS',
          'APPHUB_KAFKA_SECURITY',
          'APPHUB_LEASES_TABLE',
          'APPHUB_SAVEPOINTS_TABLE',
          'APPHUB_SAVEPOINT_DIR',
          'APPHUB_SAVEPOINT_MAX_AGE_HOURS',
          'APPHUB_SAVEPOINT_MAX_COUNT',
          'APPHUB_SQL_GATEWAY_URL',
          'LOG_LEVEL',
          'NODE_OPTIONS',
        ].sort(),
      );
      expect(variables.APPHUB_SAVEPOINT_MAX_COUNT).toBe('10');
      expect(variables.APPHUB_SAVEPOINT_MAX_AGE_HOURS).toBe('24');
      expect(JSON.stringify(variables.APPHUB_SAVEPOINT_DIR)).toMatch(/"s3:\/\/".*"\/savepoints"/);
      expect(fn.VpcConfig).toMatchObject({ SecurityGroupIds: [expect.anything()] });
    }
  });

  it('schedules savepoint, reconcile and the micro-batcher sealing pass at the configured rates', () => {
    const template = synthesized.template(synthesized.stacks.functions);

    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MicroBatcherFunction'), 'Arn'] } }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^SavepointFunction'), 'Arn'] } }),
      ],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReconcileFunction'), 'Arn'] } }),
      ],
    });
  });

  it('keeps savepoint and reconcile single-flight without reserved concurrency, and drops ticks older than a period', () => {
    const template = synthesized.template(synthesized.stacks.functions);

    // New accounts have a low concurrency quota, and Lambda refuses reserved concurrency that would
    // leave less than 100 unreserved: https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
    // Single-flight comes from DynamoDB leases instead, so the default reserves nothing.
    for (const fn of propertiesOf(template, 'AWS::Lambda::Function')) {
      expect(fn.ReservedConcurrentExecutions).toBeUndefined();
    }
    for (const [name, minutes] of [
      ['SavepointFunction', 60],
      ['ReconcileFunction', 5],
    ] as const) {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: Match.stringLikeRegexp(`^${name}`) },
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: minutes * 60,
      });
    }
  });

  it('grants each function only what it reads and writes', () => {
    const template = synthesized.template(synthesized.stacks.functions);
    const microBatcher = statementsOfRole(template, 'MicroBatcher');
    const savepoint = statementsOfRole(template, 'SavepointFunction');
    const submitSql = statementsOfRole(template, 'SubmitSqlFunction');

    expect(actionsOn(microBatcher, 'StreamingLake')).toEqual(
      expect.arrayContaining(['s3:PutObject', 's3:GetObject*']),
    );
    expect(actionsOn(microBatcher, 'Watermarks')).toEqual(expect.arrayContaining(['dynamodb:UpdateItem']));
    expect(actionsOn(microBatcher, 'FlinkCheckpoints')).toEqual([]);
    expect(actionsOn(savepoint, '/savepoints/*')).toEqual(expect.arrayContaining(['s3:DeleteObject*']));
    expect(actionsOn(savepoint, '/checkpoints/*')).toEqual([]);
    expect(actionsOn(savepoint, 'StreamingLake')).toEqual([]);
    expect(actionsOn(submitSql, 'FlinkCheckpoints').filter((action) => /Put|Delete/.test(action))).toEqual(
      [],
    );
    expect(actionsOn(submitSql, 'Jobs')).toEqual(expect.arrayContaining(['dynamodb:PutItem']));
    expect(actionsOn(submitSql, 'Savepoints')).toEqual(expect.arrayContaining(['dynamodb:PutItem']));
    expect(actionsOn(savepoint, 'Jobs').filter((action) => /Put|Update|Delete|Write/.test(action))).toEqual(
      [],
    );
  });

  it('ships the heavy packages in the layer, never the AWS SDK, and leaves them out of the bundles', () => {
    const manifest = JSON.parse(
      readFileSync(
        path.join(synthesized.outdir, `${synthesized.stacks.functions.artifactId}.assets.json`),
        'utf8',
      ),
    ) as { files: Record<string, { source: { path: string }; displayName?: string }> };
    const assets = Object.values(manifest.files).filter((asset) => asset.source.path.startsWith('asset.'));
    const layer = assets.find((asset) =>
      existsSync(path.join(synthesized.outdir, asset.source.path, 'nodejs')),
    );
    expect(layer).toBeDefined();
    const modules = path.join(synthesized.outdir, layer!.source.path, 'nodejs', 'node_modules');

    for (const name of ['apache-arrow', 'parquet-wasm', '@platformatic/kafka']) {
      expect(existsSync(path.join(modules, name, 'package.json')), name).toBe(true);
    }
    expect(existsSync(path.join(modules, '@aws-sdk'))).toBe(false);
    const bundles = assets
      .map((asset) => path.join(synthesized.outdir, asset.source.path, 'index.js'))
      .filter((file) => existsSync(file));
    expect(bundles).toHaveLength(7);
    for (const bundle of bundles) {
      // The layer's packages are loaded at run time, never inlined (apache-arrow's own banner would appear).
      expect(readFileSync(bundle, 'utf8')).not.toContain('Licensed to the Apache Software Foundation (ASF)');
    }
  });
  it('loads every bundle with only the layer on the module path, as Lambda does, and finds its handler', () => {
    const template = synthesized.template(synthesized.stacks.functions);
    const layerAsset = Object.values(template.findResources('AWS::Lambda::LayerVersion')).map(
      (layer) => (layer as { Properties: { Content: { S3Key: string } } }).Properties.Content.S3Key,
    )[0];
    const layerModules = path.join(
      synthesized.outdir,
      `asset.${layerAsset?.replace('.zip', '')}`,
      'nodejs',
      'node_modules',
    );
    const functions = propertiesOf(template, 'AWS::Lambda::Function') as Array<{
      Code: { S3Key: string };
      Environment: { Variables: Record<string, unknown> };
    }>;

    for (const fn of functions) {
      const bundle = path.join(synthesized.outdir, `asset.${fn.Code.S3Key.replace('.zip', '')}`, 'index.js');
      const environment = Object.fromEntries(
        Object.entries(fn.Environment.Variables).map(([name, value]) => [
          name,
          // The MSK brokers are a cross-stack import; the variable must still read as host:port.
          name === 'APPHUB_KAFKA_BOOTSTRAP_SERVERS' && typeof value !== 'string'
            ? 'placeholder-name:9094'
            : placeholderFor(value),
        ]),
      );
      const run = spawnSync(
        process.execPath,
        ['-e', `console.log('HANDLER ' + typeof require(${JSON.stringify(bundle)}).handler)`],
        {
          cwd: synthesized.outdir,
          encoding: 'utf8',
          env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', NODE_PATH: layerModules, ...environment },
        },
      );
      expect(run.stdout + run.stderr, fn.Code.S3Key).toContain('HANDLER function');
    }
  });
});

describe('observability', () => {
  it('alarms on the custom metrics in the documented namespace, per service', () => {
    const template = synthesized.template(synthesized.stacks.observability);
    const expected: Array<[string, string]> = [
      [MetricName.jobsNotRunning, 'reconcile'],
      [MetricName.failedCheckpoints, 'reconcile'],
      [MetricName.jobRestarts, 'reconcile'],
      [MetricName.deadLetterRecords, 'micro-batcher'],
      [MetricName.watermarkLagSeconds, 'micro-batcher'],
      [MetricName.savepointsFailed, 'savepoint'],
    ];

    for (const [metricName, service] of expected) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: METRIC_NAMESPACE,
        MetricName: metricName,
        Dimensions: [{ Name: 'Service', Value: service }],
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Threshold: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: MetricName.watermarkLagSeconds,
      Threshold: 900,
      Statistic: 'Maximum',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Invocations',
      Dimensions: [
        { Name: 'FunctionName', Value: { 'Fn::ImportValue': Match.stringLikeRegexp('Reconcile') } },
      ],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'AppHubStreaming-streaming',
    });
  });

  it('graphs and alarms JobsNotRunning on the Service series Maximum: how many jobs are down, alarm at 1', () => {
    const template = synthesized.template(synthesized.stacks.observability);
    // reconcile publishes one count per pass there (layers/control-plane/src/reconcile.ts).
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRIC_NAMESPACE,
      MetricName: MetricName.jobsNotRunning,
      Dimensions: [{ Name: 'Service', Value: 'reconcile' }],
      Statistic: 'Maximum',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 2,
    });
    const [dashboard] = propertiesOf(template, 'AWS::CloudWatch::Dashboard') as Array<{
      DashboardBody: { 'Fn::Join': [string, unknown[]] };
    }>;
    const body = JSON.parse(
      dashboard!.DashboardBody['Fn::Join'][1]
        .map((part) => (typeof part === 'string' ? part : 'token'))
        .join(''),
    ) as { widgets: Array<{ properties: { title?: string; metrics?: unknown[][] } }> };
    const graphed = body.widgets
      .flatMap((widget) => widget.properties.metrics ?? [])
      .filter((metric) => metric.includes(MetricName.jobsNotRunning));
    expect(graphed).toEqual([
      [
        METRIC_NAMESPACE,
        MetricName.jobsNotRunning,
        'Service',
        'reconcile',
        expect.objectContaining({ label: JOBS_NOT_RUNNING_LABEL, stat: 'Maximum' }),
      ],
    ]);
  });

  it('alarms as soon as a failed batch lands in its bucket, through an EventBridge rule that skips replayed/', () => {
    const storage = synthesized.template(synthesized.stacks.storage);
    const observability = synthesized.template(synthesized.stacks.observability);

    storage.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: {
          bucket: { name: [{ Ref: Match.stringLikeRegexp('^FailedBatchesBucket') }] },
          object: { key: [{ 'anything-but': { prefix: REPLAYED_PREFIX } }] },
        },
      },
      Targets: [Match.objectLike({ Arn: Match.anyValue() })],
    });
    // The rule logs each landed object to a log group EventBridge accepts as a target (under
    // /aws/events: https://repost.aws/knowledge-center/cloudwatch-log-group-eventbridge), which its
    // resource policy lets EventBridge write to.
    storage.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/events/${synthesized.stacks.storage.stackName}/failed-batches`,
    });
    const [logPolicy] = propertiesOf(storage, 'AWS::Logs::ResourcePolicy').map((policy) =>
      JSON.stringify(policy.PolicyDocument),
    );
    expect(logPolicy).toContain('\\"Service\\":\\"events.amazonaws.com\\"');
    expect(logPolicy).toContain('logs:PutLogEvents');
    expect(logPolicy).toMatch(/FailedBatchesLandedLog/);
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html: TriggeredRules, per RuleName.
    observability.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Events',
      MetricName: 'TriggeredRules',
      Dimensions: [
        { Name: 'RuleName', Value: { 'Fn::ImportValue': Match.stringLikeRegexp('FailedBatchesLanded') } },
      ],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it("alarms on the event sources' OffsetLag, the Lambda metric of Kafka event sources", () => {
    const template = synthesized.template(synthesized.stacks.observability);

    // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html: AWS/Lambda OffsetLag,
    // per function, measured at the topic level.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'OffsetLag',
      Dimensions: [
        { Name: 'FunctionName', Value: { 'Fn::ImportValue': Match.stringLikeRegexp('MicroBatcher') } },
      ],
      Statistic: 'Maximum',
      Threshold: 10_000,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });
});

describe('compliance', () => {
  it('passes cdk-nag AwsSolutions with every suppression justified', () => {
    expect(nagFindings(synthesized.assembly)).toEqual([]);
  });

  it('passes cfn-lint with no errors on every template', () => {
    const result = cfnLint(synthesized.assembly);

    expect(result.templates.length).toBe(6);
    expect(result.errors).toEqual([]);
  });
});
