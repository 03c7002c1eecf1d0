import { platform } from '@apphub/platform';
import { describe, expect, it } from 'vitest';
import { renderEcsFlinkSettings, renderSqlGatewaySettings } from '../../cdk/lib/flink-settings.js';
import { parseFlinkProperties } from '../../local/src/manifests/index.js';
import { flinkTaskContainers, type TaskContainer, useSynthesized } from './support/synthesize.js';

/** The default deployment (cdk.json). */
const synthesized = useSynthesized();

type Container = TaskContainer;

/** Every container of the Flink stack's task definitions. */
function containers(): Container[] {
  return flinkTaskContainers(synthesized()).flat();
}

/** The Flink container started with `command` (its first argument). */
function flinkContainer(command: string): Container {
  const found = containers().find((container) => container.Command?.[0] === command);
  expect(found, command).toBeDefined();
  return found!;
}

/** Stands for the checkpoint bucket's name, a cross-stack import in the template. */
const BUCKET = '<checkpoint-bucket>';

/** FLINK_PROPERTIES of a container, with every non-string part of an Fn::Join replaced by BUCKET. */
function flinkProperties(container: Container): Record<string, string> {
  const value = container.Environment?.find((entry) => entry.Name === 'FLINK_PROPERTIES')?.Value;
  expect(value, `${container.Name} has FLINK_PROPERTIES`).toBeDefined();
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  const text =
    typeof value === 'string'
      ? value
      : join![1].map((part) => (typeof part === 'string' ? part : BUCKET)).join(join![0]);
  return parseFlinkProperties(text);
}

describe('SQL Gateway container', () => {
  // flink-table/flink-sql-gateway/bin/sql-gateway.sh (apache/flink) treats any argument list that
  // contains "-h" (`[[ "$*" = *-h* ]]`, e.g. -Djobmanager.bind-host=...) as a help request and runs
  // the gateway without exec, log4j config or Java 17 options. The official image's entrypoint
  // (apache/flink-docker, docker-entrypoint.sh) applies FLINK_PROPERTIES to conf/config.yaml before
  // any command, including a pass-through one such as sql-gateway.sh.
  it('starts in the foreground with no argument sql-gateway.sh would read as a help request', () => {
    const gateway = flinkContainer('/opt/flink/bin/sql-gateway.sh');

    expect(gateway.Command).toEqual(['/opt/flink/bin/sql-gateway.sh', 'start-foreground']);
    for (const container of containers()) {
      const commandLine = (container.Command ?? []).join(' ');
      expect(commandLine, container.Name).not.toContain('-h');
    }
  });

  it('gets its settings through FLINK_PROPERTIES, as compose starts it', () => {
    const gateway = flinkContainer('/opt/flink/bin/sql-gateway.sh');
    const cluster = renderEcsFlinkSettings({
      namespace: synthesized().stacks.flink.namespaceName,
      checkpointBucket: BUCKET,
      jobManagerMemoryMiB: 2048,
      taskManagerMemoryMiB: 4096,
    });

    expect(flinkProperties(gateway)).toEqual(
      renderSqlGatewaySettings(cluster, synthesized().stacks.flink.namespaceName),
    );
    expect(flinkProperties(gateway)['sql-gateway.endpoint.rest.port']).toBe(
      String(platform.ports.sqlGateway),
    );
    expect(flinkProperties(gateway)['execution.target']).toBe('remote');
  });
});

describe('Flink REST on ECS', () => {
  // With web.submit.enable false the JobManager registers no jar upload/run handlers (Flink's
  // DispatcherRestEndpoint loads the web submission extension only when it is on:
  // https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/deployment/config/#web-submit-enable).
  // The SQL Gateway submits JobGraphs with POST /jobs (JobSubmitHandler), which stays registered.
  it('refuses jar uploads and runs through REST on every Flink task', () => {
    for (const command of ['jobmanager', 'taskmanager', '/opt/flink/bin/sql-gateway.sh']) {
      expect(flinkProperties(flinkContainer(command))['web.submit.enable'], command).toBe('false');
    }
  });

  it('lets an operator reach the UI through ECS Exec port forwarding on the JobManager only', () => {
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html (port forwarding
    // with AWS-StartPortForwardingSession needs ECS Exec on the service).
    const template = synthesized().template(synthesized().stacks.flink);
    const services = Object.values(template.findResources('AWS::ECS::Service')).map(
      (service) => (service as { Properties: Record<string, unknown> }).Properties,
    );
    const withExec = services.filter((service) => service.EnableExecuteCommand === true);

    expect(withExec).toHaveLength(1);
    expect(withExec[0]?.ServiceRegistries).toEqual([
      { RegistryArn: { 'Fn::GetAtt': [expect.stringMatching(/^JobManagerService/), 'Arn'] } },
    ]);
    expect(Object.keys(template.findOutputs('*'))).toEqual(
      expect.arrayContaining(['ClusterName', 'JobManagerServiceName']),
    );
  });
});
