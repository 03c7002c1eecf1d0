import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROFILES, parseAppConfig } from '../../cdk/lib/config.js';
import { PROJECT_ROOT } from '../../cdk/lib/streaming-app.js';
import { countsSetAfterCreation, useSynthesized } from './support/synthesize.js';

/** The rows of the profile table in docs/deploy.md, by profile name, cells by column heading. */
function documentedProfiles(): Map<string, Record<string, string>> {
  const docs = readFileSync(path.join(PROJECT_ROOT, 'docs', 'deploy.md'), 'utf8');
  const lines = docs.split('\n').filter((line) => line.startsWith('| '));
  const header = lines.find((line) => line.startsWith('| profile |'));
  if (header === undefined) throw new Error('docs/deploy.md has no profile table');
  const cells = (line: string) =>
    line
      .slice(1, -1)
      .split('|')
      .map((cell) => cell.trim().replaceAll('`', ''));
  const columns = cells(header);
  const rows = new Map<string, Record<string, string>>();
  for (const line of lines.slice(lines.indexOf(header) + 2)) {
    const values = cells(line);
    if (!(values[0]! in PROFILES)) break;
    rows.set(values[0]!, Object.fromEntries(columns.map((column, index) => [column, values[index]!])));
  }
  return rows;
}

type Template = ReturnType<ReturnType<ReturnType<typeof useSynthesized>>['template']>;
type Resource = { Properties: Record<string, unknown> };

const only = (template: Template, type: string): Record<string, unknown> => {
  const found = Object.values(template.findResources(type)) as Resource[];
  expect(found).toHaveLength(1);
  return found[0]!.Properties;
};

/** "2 × 1 vCPU, 4 GiB" for an ECS service of the Flink stack, from the template. */
function serviceCell(template: Template, component: string, count: number): string {
  const tasks = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as Resource[];
  const task = tasks.find((each) =>
    JSON.stringify(each.Properties.ContainerDefinitions).includes(`"Command":["${component}"`),
  );
  if (task === undefined) throw new Error(`no task runs ${component}`);
  const vcpu = Number(task.Properties.Cpu) / 1024;
  const gib = Number(task.Properties.Memory) / 1024;
  return `${count} × ${vcpu} vCPU, ${gib} GiB`;
}

/** The documented row of `profile`, rebuilt from its synthesized templates. */
function synthesizedRow(synthesized: ReturnType<ReturnType<typeof useSynthesized>>): Record<string, string> {
  const { stacks } = synthesized;
  const msk = only(synthesized.template(stacks.kafka!), 'AWS::MSK::Cluster');
  const brokers = msk.BrokerNodeGroupInfo as {
    InstanceType: string;
    StorageInfo: { EBSStorageInfo: { VolumeSize: number } };
  };
  const flink = synthesized.template(stacks.flink);
  const services = Object.entries(flink.findResources('AWS::ECS::Service')) as [string, Resource][];
  const countOf = (prefix: string) => {
    const [id, service] = services.find(([logicalId]) => logicalId.startsWith(prefix))!;
    return Number(service.Properties.DesiredCount ?? countsSetAfterCreation(flink).get(id));
  };
  return {
    'MSK brokers': `${msk.NumberOfBrokerNodes} × ${brokers.InstanceType}`,
    'broker storage': `${msk.NumberOfBrokerNodes} × ${brokers.StorageInfo.EBSStorageInfo.VolumeSize} GiB`,
    'NAT gateways': String(
      Object.keys(synthesized.template(stacks.network).findResources('AWS::EC2::NatGateway')).length,
    ),
    JobManager: serviceCell(flink, 'jobmanager', countOf('JobManager')),
    TaskManagers: serviceCell(flink, 'taskmanager', countOf('TaskManager')),
    'SQL Gateway': serviceCell(
      flink,
      '/opt/flink/bin/sql-gateway.sh","start-foreground',
      countOf('SqlGateway'),
    ),
  };
}

describe('the profiles', () => {
  it('are documented, one row each', () => {
    expect([...documentedProfiles().keys()]).toEqual(Object.keys(PROFILES));
  });

  it('start from their sizes, and an option set explicitly wins', () => {
    const enabled = { APPHUB_STREAMING_ENABLED: '1' };
    const dev = parseAppConfig({ 'apphub:profile': 'dev' }, enabled).options;
    const devWithTwo = parseAppConfig({ 'apphub:profile': 'dev', 'apphub:taskManagerCount': 2 }, enabled);

    expect(dev.kafka).toMatchObject({ mode: 'msk', instanceType: 'kafka.t3.small', volumeSizeGiB: 10 });
    expect(dev.flink.taskManager.count).toBe(1);
    expect(devWithTwo.options.flink.taskManager.count).toBe(2);
    expect(devWithTwo.options.kafka).toMatchObject({ instanceType: 'kafka.t3.small' });
    expect(() => parseAppConfig({ 'apphub:profile': 'tiny' }, enabled)).toThrow(
      /apphub:profile is invalid: .*expected a profile, one of default, dev/,
    );
  });

  for (const profile of Object.keys(PROFILES)) {
    describe(`${profile}: docs/deploy.md's row`, () => {
      const synthesized = useSynthesized({ 'apphub:profile': profile });

      it('names the instance types and counts the templates deploy', () => {
        const documented = documentedProfiles().get(profile)!;
        const actual = synthesizedRow(synthesized());

        expect(Object.fromEntries(Object.keys(actual).map((column) => [column, documented[column]]))).toEqual(
          actual,
        );
      });
    });
  }
});
