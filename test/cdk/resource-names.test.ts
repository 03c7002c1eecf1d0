import { platform, tables } from '@apphub/platform';
import { describe, expect, it } from 'vitest';
import { parseAppConfig } from '../../cdk/lib/config.js';
import { nagFindings, type Synthesized, useSynthesized } from './support/synthesize.js';

type Resource = { Type: string; Properties?: Record<string, unknown> };

function resourcesOf(synthesized: Synthesized): Array<{ stack: string; id: string; resource: Resource }> {
  return synthesized.assembly.stacks.flatMap((artifact) =>
    Object.entries((artifact.template as { Resources?: Record<string, Resource> }).Resources ?? {}).map(
      ([id, resource]) => ({ stack: artifact.stackName, id, resource }),
    ),
  );
}

/**
 * Properties that set a physical name unique in the account and region. Names scoped inside a
 * parent (a Cloud Map service inside its namespace, a Glue table inside its database) are not listed.
 */
const ACCOUNT_SCOPED_NAMES: Record<string, (properties: Record<string, unknown>) => unknown> = {
  'AWS::S3::Bucket': (p) => p.BucketName,
  'AWS::DynamoDB::Table': (p) => p.TableName,
  'AWS::ServiceDiscovery::PrivateDnsNamespace': (p) => p.Name,
  'AWS::MSK::Cluster': (p) => p.ClusterName,
  'AWS::MSK::Configuration': (p) => p.Name,
  'AWS::CloudWatch::Dashboard': (p) => p.DashboardName,
  'AWS::CloudWatch::Alarm': (p) => p.AlarmName,
  'AWS::ECS::Cluster': (p) => p.ClusterName,
  'AWS::Lambda::Function': (p) => p.FunctionName,
  'AWS::Lambda::LayerVersion': (p) => p.LayerName,
  'AWS::IAM::Role': (p) => p.RoleName,
  'AWS::Logs::LogGroup': (p) => p.LogGroupName,
  'AWS::SQS::Queue': (p) => p.QueueName,
  'AWS::Glue::Database': (p) => (p.DatabaseInput as { Name?: unknown } | undefined)?.Name,
};

/** Every fixed (literal) account-scoped physical name of the app, with where it is. */
function fixedNames(synthesized: Synthesized): Array<{ where: string; name: string }> {
  return resourcesOf(synthesized).flatMap(({ stack, id, resource }) => {
    const name = ACCOUNT_SCOPED_NAMES[resource.Type]?.(resource.Properties ?? {});
    return typeof name === 'string' ? [{ where: `${stack}/${id}`, name }] : [];
  });
}

/** Lambda environments of the functions stack, by variable. */
function lambdaVariables(synthesized: Synthesized): Array<Record<string, unknown>> {
  const template = synthesized.template(synthesized.stacks.functions);
  return Object.values(template.findResources('AWS::Lambda::Function')).map(
    (fn) =>
      (fn as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment
        .Variables,
  );
}

describe('names of a default deployment', () => {
  const synthesizedApp = useSynthesized();

  // A resource without a physical name gets one CloudFormation generates from the stack name, the
  // logical id and a random suffix, new on every creation:
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html
  // Buckets and tables are retained by `cdk destroy`, so a fixed name would make the next deploy
  // fail with "already exists"; a generated one cannot.
  it('lets CloudFormation name every bucket and table, so a redeploy after destroy finds no retained name taken', () => {
    const storage = resourcesOf(synthesizedApp()).filter(({ resource }) =>
      ['AWS::S3::Bucket', 'AWS::DynamoDB::Table'].includes(resource.Type),
    );

    expect(storage.length).toBeGreaterThan(Object.keys(tables).length);
    expect(
      storage.filter(({ resource }) => ACCOUNT_SCOPED_NAMES[resource.Type]!(resource.Properties!)),
    ).toEqual([]);
  });

  it("keeps the platform's names recognisable in the logical ids the generated names are made of", () => {
    const ids = resourcesOf(synthesizedApp()).map(({ id }) => id);

    for (const name of [
      platform.storage.checkpointBucket,
      platform.storage.dataLakeBucket,
      ...Object.values(tables).map((table) => table.tableName),
    ]) {
      const pascal = name
        .split(/[-_]/)
        .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
        .join('');
      expect(
        ids.some((id) => id.startsWith(pascal)),
        name,
      ).toBe(true);
    }
  });

  it('creates one table per entry of the platform tables, with its keys', () => {
    const template = synthesizedApp().template(synthesizedApp().stacks.storage);

    for (const schema of Object.values(tables) as Array<{ partitionKey: string; sortKey?: string }>) {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: schema.partitionKey, KeyType: 'HASH' },
          ...(schema.sortKey ? [{ AttributeName: schema.sortKey, KeyType: 'RANGE' }] : []),
        ],
      });
    }
    expect(Object.keys(synthesizedApp().stacks.storage.tables).sort()).toEqual(Object.keys(tables).sort());
  });

  it('puts the stack prefix in every other fixed name, the Cloud Map namespace included', () => {
    const fixed = fixedNames(synthesizedApp());

    expect(fixed.map(({ name }) => name)).toContain('apphubstreaming.internal');
    expect(fixed.filter(({ name }) => !name.toLowerCase().includes('apphubstreaming'))).toEqual([]);
  });
});

describe('a second deployment in the same account that attaches retained storage', () => {
  const attached = {
    checkpointBucket: 'apphubstreamingstorage-apphubflinkcheckpoints-1a2b3c4d5e6f',
    dataLakeBucket: 'apphubstreamingstorage-apphubstreaminglake-6f5e4d3c2b1a',
    tables: {
      watermarks: 'AppHubStreamingStorage-StreamingWatermarks-1A2B3C',
      jobs: 'AppHubStreamingStorage-StreamingJobs-4D5E6F',
      savepoints: 'AppHubStreamingStorage-StreamingSavepoints-7A8B9C',
      leases: 'AppHubStreamingStorage-StreamingLeases-0D1E2F',
      autoscaleDecisions: 'AppHubStreamingStorage-StreamingAutoscaleDecisions-3G4H5I',
    },
  };
  const synthesizedApp = useSynthesized({
    'apphub:stackPrefix': 'TeamB',
    'apphub:existingCheckpointBucket': attached.checkpointBucket,
    'apphub:existingDataLakeBucket': attached.dataLakeBucket,
    'apphub:existingTables': JSON.stringify(attached.tables),
  });

  it('creates no bucket or table it was given, and no other fixed name without its own prefix', () => {
    const created = resourcesOf(synthesizedApp());

    expect(created.map(({ resource }) => resource.Type)).not.toContain('AWS::DynamoDB::Table');
    // Only the deployment's own failed-batch bucket (a new one per deployment, as its event sources
    // are; a retained one is still readable by npm run batcher -- --replay) and the bucket it logs to.
    const buckets = created.filter(({ resource }) => resource.Type === 'AWS::S3::Bucket').map(({ id }) => id);
    expect(buckets.filter((id) => !/^(FailedBatches|AccessLogs)/.test(id))).toEqual([]);
    expect(fixedNames(synthesizedApp()).filter(({ name }) => !name.toLowerCase().includes('teamb'))).toEqual(
      [],
    );
    expect(fixedNames(synthesizedApp()).map(({ name }) => name)).toContain('teamb.internal');
  });

  it('passes the attached names to every consumer: Lambda environments and Flink settings', () => {
    const variables = lambdaVariables(synthesizedApp());
    const flink = JSON.stringify(
      synthesizedApp().template(synthesizedApp().stacks.flink).findResources('AWS::ECS::TaskDefinition'),
    );

    expect(new Set(variables.map((v) => v.APPHUB_WATERMARK_TABLE).filter(Boolean))).toEqual(
      new Set([attached.tables.watermarks]),
    );
    expect(new Set(variables.map((v) => v.APPHUB_JOBS_TABLE).filter(Boolean))).toEqual(
      new Set([attached.tables.jobs]),
    );
    expect(new Set(variables.map((v) => v.APPHUB_SAVEPOINTS_TABLE).filter(Boolean))).toEqual(
      new Set([attached.tables.savepoints]),
    );
    expect(new Set(variables.map((v) => v.APPHUB_DATA_LAKE_BUCKET).filter(Boolean))).toEqual(
      new Set([attached.dataLakeBucket]),
    );
    expect(flink).toContain(`execution.checkpointing.dir: s3://${attached.checkpointBucket}/checkpoints`);
    expect(flink).toContain(
      `execution.checkpointing.savepoint-dir: s3://${attached.checkpointBucket}/savepoints`,
    );
  });

  it('passes cdk-nag AwsSolutions with attached storage too', () => {
    expect(nagFindings(synthesizedApp().assembly)).toEqual([]);
  });
});

describe('attaching retained storage', () => {
  const enabled = { APPHUB_STREAMING_ENABLED: '1' };

  it('refuses a table key the platform does not have and a name S3 would refuse, naming the option', () => {
    expect(() => parseAppConfig({ 'apphub:existingTables': '{"offsets":"my-table"}' }, enabled)).toThrow(
      /existingTables/,
    );
    expect(() => parseAppConfig({ 'apphub:existingDataLakeBucket': 'My_Lake' }, enabled)).toThrow(
      /existingDataLakeBucket: expected an S3 bucket name/,
    );
  });

  it('derives the namespace from the prefix unless one is given', () => {
    expect(
      parseAppConfig({ 'apphub:stackPrefix': 'Team-B' }, enabled).options.flink.serviceDiscoveryNamespace,
    ).toBe('team-b.internal');
    expect(
      parseAppConfig({ 'apphub:serviceDiscoveryNamespace': 'flink.corp.internal' }, enabled).options.flink
        .serviceDiscoveryNamespace,
    ).toBe('flink.corp.internal');
  });
});
