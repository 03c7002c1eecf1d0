import path from 'node:path';
import { ConfigInvalidError, platform } from '@apphub/platform';
import { renderSampleJob, type StartupMode, startupModes, submitSampleJob } from '../sample/submit.js';
import { type SampleTarget, sampleTargets } from '../sample/targets.js';
import { type CommandInput, defineCommand, type OptionTable, runCli } from './run-cli.js';

const options = {
  env: {
    type: 'string',
    valueName: 'ENV',
    description: `where the job runs: ${sampleTargets.join(', ')}`,
    default: 'native',
  },
  'job-name': {
    type: 'string',
    valueName: 'NAME',
    description: 'Flink job name',
    default: platform.sampleJob.name,
  },
  'input-topic': {
    type: 'string',
    valueName: 'T',
    description: 'topic the job reads',
    default: platform.topics.input.name,
  },
  'output-topic': {
    type: 'string',
    valueName: 'T',
    description: 'topic the job writes the aggregates to',
    default: platform.topics.aggregates.name,
  },
  'group-id': {
    type: 'string',
    valueName: 'G',
    description: "the job's Kafka consumer group",
    default: platform.sampleJob.groupId,
  },
  'startup-mode': {
    type: 'string',
    valueName: 'MODE',
    description: `where a new job starts reading the input topic: ${startupModes.join(', ')}`,
  },
  'from-savepoint': { type: 'string', valueName: 'PATH', description: 'restore the job from this savepoint' },
  fromSavepoint: {
    type: 'string',
    valueName: 'PATH',
    description: '--from-savepoint, as the seed writes it',
  },
  template: {
    type: 'string',
    valueName: 'FILE',
    description: `SQL template to render instead of ${platform.sampleJob.sqlTemplate}`,
  },
  'print-sql': {
    type: 'boolean',
    description: 'print the rendered statements (e.g. for sql-client.sh -f) and submit nothing',
  },
} as const satisfies OptionTable;

async function submitSample({ values }: CommandInput<typeof options>): Promise<number> {
  const startupMode = values['startup-mode'];
  if (startupMode !== undefined && !startupModes.includes(startupMode as StartupMode)) {
    throw new ConfigInvalidError(
      `--startup-mode must be one of ${startupModes.join(', ')}, got ${startupMode}`,
    );
  }
  const target = values.env;
  if (!sampleTargets.includes(target as SampleTarget)) {
    throw new ConfigInvalidError(`--env must be one of ${sampleTargets.join(', ')}, got ${target}`);
  }
  const fromSavepoint = values.fromSavepoint ?? values['from-savepoint'];
  const template = values.template
    ? path.resolve(process.env.INIT_CWD ?? process.cwd(), values.template)
    : undefined;
  const submission = {
    target: target as SampleTarget,
    jobName: values['job-name'],
    inputTopic: values['input-topic'],
    outputTopic: values['output-topic'],
    groupId: values['group-id'],
    startupMode: startupMode as StartupMode | undefined,
    fromSavepoint,
    templatePath: template,
  };
  if (values['print-sql']) {
    console.log(`${renderSampleJob(submission).join(';\n\n')};`);
    return 0;
  }
  process.stderr.write(
    `submitting ${template ?? platform.sampleJob.sqlTemplate} to ${target}${fromSavepoint ? ` from ${fromSavepoint}` : ''}\n`,
  );
  const { jobId, jobName, action } = await submitSampleJob(submission);
  console.log(`${action} ${jobName}: Flink job id ${jobId}`);
  return 0;
}

/** `npm run submit:sample`: the sample job, rendered for an environment and submitted. */
export const cli = defineCommand({
  program: 'npm run submit:sample --',
  summary: `Renders ${platform.sampleJob.sqlTemplate} for an environment and submits it.`,
  details: () =>
    'native submits through the control plane, so the job is managed (it comes back by itself after a\n' +
    'JobManager restart; the same SQL again keeps it, changed SQL upgrades it through a savepoint);\n' +
    'compose and minikube submit straight to the SQL Gateway at APPHUB_SQL_GATEWAY_URL.',
  options,
  run: submitSample,
});

runCli(cli, import.meta.url);
