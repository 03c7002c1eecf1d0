import { platform } from '@apphub/platform';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  CLOUDWATCH_AGENT_IMAGE,
  DEPLOYMENT_DIMENSION,
  FLINK_METRIC_NAMES,
  FLINK_METRIC_NAMESPACE,
} from '../../cdk/lib/flink-metrics.js';
import { parseFlinkProperties } from '../../local/src/manifests/index.js';
import { flinkTaskContainers, type TaskContainer, useSynthesized } from './support/synthesize.js';

/** The default deployment (cdk.json). */
const synthesized = useSynthesized();

type Container = TaskContainer;

/** The containers of each Flink task definition, by the command of its Flink container. */
function tasks(): Map<string, Container[]> {
  return new Map(
    flinkTaskContainers(synthesized()).map((containers) => [
      containers.find((container) => container.Name === 'flink')?.Command?.[0] ?? '',
      containers,
    ]),
  );
}

/** A variable's value, with the parts CloudFormation fills in (imports, references) as "<ref>". */
function variable(container: Container | undefined, name: string): string {
  const value = container?.Environment?.find((entry) => entry.Name === name)?.Value;
  expect(value, `${container?.Name} ${name}`).toBeDefined();
  if (typeof value === 'string') return value;
  const [separator, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts.map((part) => (typeof part === 'string' ? part : '<ref>')).join(separator);
}

// Names as Flink 2.2.1's Prometheus reporter exports them, measured on the native stack; the
// runbook's numRegisteredTaskManagers, checkpoint duration and numRestarts among them:
// https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/ops/metrics/#system-metrics
const RUNBOOK_METRICS = [
  'flink_jobmanager_numRegisteredTaskManagers',
  'flink_jobmanager_job_numRestarts',
  'flink_jobmanager_job_lastCheckpointDuration',
  'flink_jobmanager_job_numberOfFailedCheckpoints',
  'flink_taskmanager_job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max',
  'flink_taskmanager_job_task_busyTimeMsPerSecond',
];

describe('Flink ports on ECS', () => {
  // metrics.internal.query-service.port defaults to 0 (random), which no security group can open:
  // https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/deployment/config/#metrics-internal-query-service-port
  it('pins the metric query service and the Prometheus reporter in every Flink task', () => {
    for (const command of ['jobmanager', 'taskmanager']) {
      const flink = tasks()
        .get(command)
        ?.find((container) => container.Name === 'flink');
      const settings = parseFlinkProperties(variable(flink, 'FLINK_PROPERTIES'));

      expect(settings['metrics.internal.query-service.port'], command).toBe(
        platform.ports.metricsQueryServiceRange,
      );
      expect(settings['metrics.reporter.prom.port'], command).toBe(
        String(platform.ports.prometheusJobManager),
      );
    }
  });

  it('opens the metric query service range between the Flink tasks only', () => {
    const [from, to] = platform.ports.metricsQueryServiceRange.split('-').map(Number);

    synthesized()
      .template(synthesized().stacks.network)
      .hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FlinkSecurityGroup'), 'GroupId'] },
        SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FlinkSecurityGroup'), 'GroupId'] },
        FromPort: from,
        ToPort: to,
        IpProtocol: 'tcp',
      });
  });
});

describe('the metrics sidecar', () => {
  it('runs a CloudWatch agent pinned by version beside each JobManager and TaskManager, not essential', () => {
    expect(CLOUDWATCH_AGENT_IMAGE.tag).toMatch(/^\d+\.\d+\.\d+b\d+$/);
    for (const command of ['jobmanager', 'taskmanager']) {
      const agent = tasks()
        .get(command)
        ?.find((container) => container.Name === 'cloudwatch-agent');

      expect(JSON.stringify(agent?.Image), command).toContain(
        `/apphubstreaming-ecr-public/${CLOUDWATCH_AGENT_IMAGE.repository}:${CLOUDWATCH_AGENT_IMAGE.tag}`,
      );
      expect(agent?.Essential, command).toBe(false);
    }
    expect(
      tasks()
        .get('/opt/flink/bin/sql-gateway.sh')
        ?.map((container) => container.Name),
    ).toEqual(['flink']);
  });

  // Fargate pulls every image of a task before it starts, essential or not; an image from
  // public.ecr.aws at every start (anonymous, rate-limited, one NAT address for all tasks) can keep
  // Flink from starting. The account's own registry serves it through a pull-through cache rule:
  // https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html
  it("pulls the agent from the account's registry through a pull-through cache of ECR Public", () => {
    const flink = synthesized().template(synthesized().stacks.flink);
    const agents = [...tasks().values()].flat().filter((container) => container.Name === 'cloudwatch-agent');

    flink.hasResourceProperties('AWS::ECR::PullThroughCacheRule', {
      EcrRepositoryPrefix: 'apphubstreaming-ecr-public',
      UpstreamRegistryUrl: 'public.ecr.aws',
    });
    expect(agents).toHaveLength(2);
    for (const agent of agents) {
      const image = JSON.stringify(agent.Image);
      expect(image).not.toContain('public.ecr.aws');
      expect(image).toContain('.dkr.ecr.');
      expect(image).toContain('AWS::AccountId');
    }
  });

  it('lets the task execution role import the cached image on its first pull, and only that repository', () => {
    // https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache-iam.html:
    // ecr:BatchImportUpstreamImage to import the upstream image, ecr:CreateRepository when the
    // repository storing the cached image does not exist yet.
    const flink = synthesized().template(synthesized().stacks.flink);
    const statements = Object.values(flink.findResources('AWS::IAM::Policy')).flatMap(
      (policy) =>
        (
          policy as {
            Properties: { PolicyDocument: { Statement: Array<{ Action: unknown; Resource: unknown }> } };
          }
        ).Properties.PolicyDocument.Statement,
    );
    const imports = statements.filter((statement) =>
      [statement.Action].flat().includes('ecr:BatchImportUpstreamImage'),
    );

    expect(imports.length).toBeGreaterThanOrEqual(2);
    for (const statement of imports) {
      expect([statement.Action].flat().sort()).toEqual([
        'ecr:BatchImportUpstreamImage',
        'ecr:CreateRepository',
      ]);
      expect(JSON.stringify(statement.Resource)).toContain(
        `repository/apphubstreaming-ecr-public/${CLOUDWATCH_AGENT_IMAGE.repository}`,
      );
    }
  });

  // The agent's Prometheus + EMF configuration for ECS:
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ContainerInsights-Prometheus-Setup-configure-ECS.html
  it('scrapes the reporter on localhost and keeps exactly the exported metric names', () => {
    const agent = tasks()
      .get('taskmanager')
      ?.find((container) => container.Name === 'cloudwatch-agent');
    const scrape = parse(variable(agent, 'PROMETHEUS_CONFIG_CONTENT')) as {
      scrape_configs: Array<{
        static_configs: Array<{ targets: string[]; labels: Record<string, string> }>;
        metric_relabel_configs: Array<{ regex: string; action: string }>;
      }>;
    };
    const [job] = scrape.scrape_configs;
    const keep = new RegExp(`^${job!.metric_relabel_configs[0]!.regex}$`);

    expect(job!.static_configs[0]!.targets).toEqual([`localhost:${platform.ports.prometheusJobManager}`]);
    expect(job!.static_configs[0]!.labels[DEPLOYMENT_DIMENSION]).toBe('AppHubStreaming');
    expect(job!.metric_relabel_configs[0]!.action).toBe('keep');
    for (const name of FLINK_METRIC_NAMES) expect(keep.test(name), name).toBe(true);
    expect(keep.test('flink_taskmanager_Status_JVM_CPU_Load')).toBe(false);
  });

  it('writes every exported metric as EMF in the Flink namespace, into a log group it may write to', () => {
    const agent = tasks()
      .get('jobmanager')
      ?.find((container) => container.Name === 'cloudwatch-agent');
    const config = JSON.parse(
      variable(agent, 'CW_CONFIG_CONTENT').replaceAll('<ref>', 'metrics-log-group'),
    ) as {
      logs: {
        metrics_collected: {
          prometheus: {
            log_group_name: string;
            prometheus_config_path: string;
            emf_processor: {
              metric_namespace: string;
              metric_declaration: Array<{ dimensions: string[][]; metric_selectors: string[] }>;
            };
          };
        };
      };
    };
    const prometheus = config.logs.metrics_collected.prometheus;
    const selected = prometheus.emf_processor.metric_declaration.flatMap((declaration) =>
      declaration.metric_selectors.map((selector) => selector.replace(/^\^|\$$/g, '')),
    );

    expect(prometheus.prometheus_config_path).toBe('env:PROMETHEUS_CONFIG_CONTENT');
    expect(prometheus.emf_processor.metric_namespace).toBe(FLINK_METRIC_NAMESPACE);
    expect(selected.sort()).toEqual([...FLINK_METRIC_NAMES].sort());
    for (const declaration of prometheus.emf_processor.metric_declaration) {
      expect(declaration.dimensions).toContainEqual([DEPLOYMENT_DIMENSION]);
    }
    const policies = JSON.stringify(
      synthesized().template(synthesized().stacks.flink).findResources('AWS::IAM::Policy'),
    );
    expect(policies).toMatch(/"logs:PutLogEvents".*MetricsLogs/s);
  });

  it('exports the names the runbook names, from one module', () => {
    for (const name of RUNBOOK_METRICS) expect(FLINK_METRIC_NAMES).toContain(name);
  });
});

describe('Flink metrics in CloudWatch', () => {
  function alarmsOn(metricName: string): Array<Record<string, unknown>> {
    const template = synthesized().template(synthesized().stacks.observability);
    return Object.values(template.findResources('AWS::CloudWatch::Alarm'))
      .map((alarm) => (alarm as { Properties: Record<string, unknown> }).Properties)
      .filter((alarm) => JSON.stringify(alarm).includes(`"MetricName":"${metricName}"`));
  }

  it('alarm on registered TaskManagers, checkpoint duration and failures, restarts, lag and busy time', () => {
    for (const name of RUNBOOK_METRICS) {
      const alarms = alarmsOn(name);
      expect(alarms, name).toHaveLength(1);
      expect(JSON.stringify(alarms[0]), name).toContain(`"Namespace":"${FLINK_METRIC_NAMESPACE}"`);
      expect(JSON.stringify(alarms[0]), name).toContain(
        `{"Name":"${DEPLOYMENT_DIMENSION}","Value":"AppHubStreaming"}`,
      );
    }
    expect(alarmsOn('flink_jobmanager_numRegisteredTaskManagers')[0]).toMatchObject({
      ComparisonOperator: 'LessThanThreshold',
      Threshold: platform.flink.taskManagers,
      TreatMissingData: 'breaching',
    });
  });

  it('shows every exported metric on the dashboard', () => {
    const template = synthesized().template(synthesized().stacks.observability);
    const body = JSON.stringify(template.findResources('AWS::CloudWatch::Dashboard'));

    for (const name of FLINK_METRIC_NAMES) expect(body, name).toContain(name);
  });
});
