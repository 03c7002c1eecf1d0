import { readFileSync } from 'node:fs';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventRulerMatches } from './support/event-ruler.js';
import { type Synthesized, synthesize } from './support/synthesize.js';

/** The control plane's AWS wiring, with reserved concurrency switched on the way `-c` passes it. */
let synthesized: Synthesized;
beforeAll(() => {
  synthesized = synthesize({ 'apphub:controlPlaneReservedConcurrency': 'true' });
}, 180_000);
afterAll(() => synthesized?.remove());

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

function resources(): Resources {
  return synthesized.template(synthesized.stacks.functions).toJSON().Resources as Resources;
}

/** The properties of the function whose logical id starts with `prefix`. */
function functionProperties(prefix: string): Record<string, unknown> {
  const found = Object.entries(resources()).find(
    ([id, resource]) => resource.Type === 'AWS::Lambda::Function' && id.startsWith(prefix),
  );
  if (!found) throw new Error(`no function ${prefix}`);
  return found[1].Properties;
}

/** The policy statements of the role whose logical id starts with `prefix`. */
function statementsOf(prefix: string): Array<{ Action: string | string[]; Resource: unknown }> {
  return Object.values(resources())
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((resource) => JSON.stringify(resource.Properties.Roles).includes(prefix))
    .flatMap(
      (resource) =>
        (
          resource.Properties.PolicyDocument as {
            Statement: Array<{ Action: string | string[]; Resource: unknown }>;
          }
        ).Statement,
    );
}

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`../fixtures/eventbridge/${name}`, import.meta.url), 'utf8'));
}

describe('single-flight', () => {
  it('reserves one concurrent execution for savepoint and reconcile only when the option is on', () => {
    expect(functionProperties('SavepointFunction').ReservedConcurrentExecutions).toBe(1);
    expect(functionProperties('ReconcileFunction').ReservedConcurrentExecutions).toBe(1);
    expect(functionProperties('RescaleFunction').ReservedConcurrentExecutions).toBeUndefined();
    expect(functionProperties('SubmitSqlFunction').ReservedConcurrentExecutions).toBeUndefined();
  });

  it('gives savepoint, reconcile and rescale the lease table, and nobody else', () => {
    const writesLeases = (prefix: string) =>
      statementsOf(prefix)
        .filter((statement) => JSON.stringify(statement.Resource).includes('Leases'))
        .flatMap((statement) => [statement.Action].flat());

    for (const prefix of ['SavepointFunction', 'ReconcileFunction', 'RescaleFunction']) {
      expect(writesLeases(prefix)).toEqual(
        expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:DeleteItem']),
      );
      const variables = (functionProperties(prefix).Environment as { Variables: Record<string, unknown> })
        .Variables;
      expect(JSON.stringify(variables.APPHUB_LEASES_TABLE)).toMatch(/Leases/);
    }
    expect(writesLeases('SubmitSqlFunction')).toEqual([]);
    expect(writesLeases('MicroBatcher')).toEqual([]);
  });

  it('creates the lease table with DynamoDB TTL on the attribute the control plane writes', () => {
    // CloudFormation names the tables (docs/deploy.md, Names and retained storage): found by its key.
    synthesized.template(synthesized.stacks.storage).hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'leaseName', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAtSeconds', Enabled: true },
    });
  });
});

describe('rescale', () => {
  it('runs long enough for a savepoint, new TaskManagers and a restore, with the TaskManager service and bounds', () => {
    const rescale = functionProperties('RescaleFunction');
    const variables = (rescale.Environment as { Variables: Record<string, unknown> }).Variables;

    expect(rescale.Timeout).toBe(900);
    expect(variables).toMatchObject({ APPHUB_TASKMANAGER_MIN_COUNT: '2', APPHUB_TASKMANAGER_MAX_COUNT: '4' });
    expect(JSON.stringify(variables.APPHUB_TASKMANAGER_SERVICE)).toMatch(/TaskManagerService/);
    expect(JSON.stringify(variables.APPHUB_TASKMANAGER_CLUSTER)).toMatch(/Cluster/);
  });

  it('may describe and update the TaskManager service and no other ECS resource or action', () => {
    const ecs = [...Object.values(resources())]
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .flatMap(
        (resource) =>
          (
            resource.Properties.PolicyDocument as {
              Statement: Array<{ Action: string | string[]; Resource: unknown }>;
            }
          ).Statement,
      )
      .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('ecs:')));

    expect(ecs).toHaveLength(1);
    expect([ecs[0]!.Action].flat().sort()).toEqual(['ecs:DescribeServices', 'ecs:UpdateService']);
    expect(JSON.stringify(ecs[0]!.Resource)).toMatch(/TaskManagerService/);
    expect(JSON.stringify(statementsOf('RescaleFunction'))).toContain('ecs:UpdateService');
  });
});

describe('a replaced JobManager', () => {
  const running = fixture('ecs-task-running.json');
  const detail = running.detail as { clusterArn: string; group: string };

  /** The rule's pattern with the cross-stack imports replaced by the fixture's cluster and service. */
  function resolvedPattern(): unknown {
    const rule = Object.values(resources()).find(
      (resource) =>
        resource.Type === 'AWS::Events::Rule' &&
        JSON.stringify(resource.Properties.EventPattern ?? {}).includes('aws.ecs'),
    );
    if (!rule) throw new Error('no rule on ECS events');
    const resolve = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(resolve);
      if (value && typeof value === 'object') {
        const record = value as Record<string, unknown>;
        if ('Fn::ImportValue' in record) {
          return /Cluster/.test(JSON.stringify(record)) && !/Service/.test(JSON.stringify(record))
            ? detail.clusterArn
            : detail.group.replace(/^service:/, '');
        }
        if ('Fn::Join' in record) {
          const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
          return parts.map(resolve).join(separator);
        }
        return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, resolve(inner)]));
      }
      return value;
    };
    return resolve(rule.Properties.EventPattern);
  }

  it("invokes reconcile on the JobManager service's tasks reaching RUNNING in the cluster", () => {
    synthesized.template(synthesized.stacks.functions).hasResourceProperties('AWS::Events::Rule', {
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html: source aws.ecs,
      // detail-type "ECS Task State Change", a service's tasks carry group "service:<service name>".
      EventPattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: {
          clusterArn: [{ 'Fn::ImportValue': Match.stringLikeRegexp('Cluster') }],
          group: [
            {
              'Fn::Join': [
                '',
                ['service:', { 'Fn::ImportValue': Match.stringLikeRegexp('JobManagerService') }],
              ],
            },
          ],
          lastStatus: ['RUNNING'],
          desiredStatus: ['RUNNING'],
        },
      },
      State: 'ENABLED',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReconcileFunction'), 'Arn'] } }),
      ],
    });
  });

  it("matches a real RUNNING event of the JobManager and nothing else, by EventBridge's own matcher", () => {
    const otherService = {
      ...running,
      detail: { ...detail, group: 'service:AppHubStreamingFlink-TaskManagerService' },
    };
    const otherCluster = {
      ...running,
      detail: { ...detail, clusterArn: 'arn:aws:ecs:eu-west-1:123456789012:cluster/another' },
    };

    expect(
      eventRulerMatches(resolvedPattern(), [
        running,
        fixture('ecs-task-stopped.json'),
        otherService,
        otherCluster,
      ]),
    ).toEqual([true, false, false, false]);
  });
});

describe('the autoscaler in reconcile', () => {
  let autoscaled: Synthesized;
  beforeAll(() => {
    autoscaled = synthesize({ 'apphub:autoscale': '{"enabled":true,"maxRescalesPerHour":2}' });
  }, 180_000);
  afterAll(() => autoscaled?.remove());

  const reconcileOf = (app: Synthesized) => {
    const all = app.template(app.stacks.functions).toJSON().Resources as Resources;
    const [id, fn] = Object.entries(all).find(
      ([logicalId, resource]) =>
        resource.Type === 'AWS::Lambda::Function' && logicalId.startsWith('ReconcileFunction'),
    )!;
    const statements = Object.values(all)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .filter((resource) => JSON.stringify(resource.Properties.Roles).includes('ReconcileFunction'))
      .flatMap(
        (resource) =>
          (resource.Properties.PolicyDocument as { Statement: Array<{ Action: string | string[] }> })
            .Statement,
      );
    return {
      id,
      timeout: fn.Properties.Timeout,
      variables: (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables,
      actions: statements.flatMap((statement) => [statement.Action].flat()),
      decisionsGrant: JSON.stringify(statements).includes('AutoscaleDecisions'),
    };
  };

  it('is off by default: reconcile gets the off switch and no ECS action', () => {
    const off = reconcileOf(synthesized);

    expect(JSON.parse(off.variables.APPHUB_AUTOSCALE as string)).toMatchObject({ enabled: false });
    expect(off.variables.APPHUB_TASKMANAGER_SERVICE).toBeUndefined();
    expect(off.actions.filter((action) => action.startsWith('ecs:'))).toEqual([]);
    expect(off.timeout).toBe(600);
  });

  it('switched on, gives reconcile the settings, the decisions table and the TaskManager service', () => {
    const on = reconcileOf(autoscaled);

    expect(JSON.parse(on.variables.APPHUB_AUTOSCALE as string)).toMatchObject({
      enabled: true,
      maxRescalesPerHour: 2,
      stabilizationSeconds: 300,
    });
    expect(JSON.stringify(on.variables.APPHUB_AUTOSCALE_DECISIONS_TABLE)).toMatch(/AutoscaleDecisions/);
    expect(JSON.stringify(on.variables.APPHUB_TASKMANAGER_SERVICE)).toMatch(/TaskManagerService/);
    expect(on.decisionsGrant).toBe(true);
    expect(on.actions).toEqual(expect.arrayContaining(['ecs:DescribeServices', 'ecs:UpdateService']));
    // A pass may end in a rescale: the rescale function's 15 minutes.
    expect(on.timeout).toBe(900);
  });

  it('refuses an unknown autoscaler key at synth time, naming it', () => {
    expect(() => synthesize({ 'apphub:autoscale': '{"enable":true}' })).toThrow(/apphub:autoscale/);
  });
});
