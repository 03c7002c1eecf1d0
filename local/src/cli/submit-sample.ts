import path from 'node:path';
import { ConfigInvalidError, platform } from '@apphub/platform';
import { renderSampleJob, type StartupMode, startupModes, submitSampleJob } from '../sample/submit.js';
import { type SampleTarget, sampleTargets } from '../sample/targets.js';
import { parseFlags, runCli } from './run-cli.js';

const usage = `npm run submit:sample -- [--env native|compose|minikube] [--job-name NAME] [--input-topic T]
                           [--output-topic T] [--group-id G] [--startup-mode ${startupModes.join('|')}]
                           [--from-savepoint PATH] [--template FILE] [--print-sql]
  Renders ${platform.sampleJob.sqlTemplate} for the environment and submits it:
  native (default) through the control plane, so the job is managed (it comes back by itself after a
  JobManager restart; the same SQL again keeps it, changed SQL upgrades it through a savepoint);
  compose and minikube straight to the SQL Gateway at APPHUB_SQL_GATEWAY_URL.
  --print-sql prints the rendered statements instead (e.g. for sql-client.sh -f), submitting nothing.
  --fromSavepoint is accepted as the seed writes it.`;

runCli(async () => {
  const { flags } = parseFlags(process.argv.slice(2), {
    env: 'string',
    'job-name': 'string',
    'input-topic': 'string',
    'output-topic': 'string',
    'group-id': 'string',
    'startup-mode': 'string',
    fromSavepoint: 'string',
    'from-savepoint': 'string',
    template: 'string',
    'print-sql': 'boolean',
    help: 'boolean',
  });
  if (flags.help) {
    console.log(usage);
    return 0;
  }
  const text = (name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  const startupMode = text('startup-mode');
  if (startupMode !== undefined && !startupModes.includes(startupMode as StartupMode)) {
    throw new ConfigInvalidError(
      `--startup-mode must be one of ${startupModes.join(', ')}, got ${startupMode}`,
    );
  }
  const target = text('env') ?? 'native';
  if (!sampleTargets.includes(target as SampleTarget)) {
    throw new ConfigInvalidError(`--env must be one of ${sampleTargets.join(', ')}, got ${target}`);
  }
  const fromSavepoint = text('fromSavepoint') ?? text('from-savepoint');
  const templateFlag = text('template');
  const template = templateFlag
    ? path.resolve(process.env.INIT_CWD ?? process.cwd(), templateFlag)
    : undefined;
  const options = {
    target: target as SampleTarget,
    ...(text('job-name') ? { jobName: text('job-name') } : {}),
    ...(text('input-topic') ? { inputTopic: text('input-topic') } : {}),
    ...(text('output-topic') ? { outputTopic: text('output-topic') } : {}),
    ...(text('group-id') ? { groupId: text('group-id') } : {}),
    ...(startupMode ? { startupMode: startupMode as StartupMode } : {}),
    ...(fromSavepoint ? { fromSavepoint } : {}),
    ...(template ? { templatePath: template } : {}),
  };
  if (flags['print-sql']) {
    console.log(`${renderSampleJob(options).join(';\n\n')};`);
    return 0;
  }
  process.stderr.write(
    `submitting ${template ?? platform.sampleJob.sqlTemplate} to ${target}${fromSavepoint ? ` from ${fromSavepoint}` : ''}\n`,
  );
  const { jobId, jobName, action } = await submitSampleJob(options);
  console.log(`${action} ${jobName}: Flink job id ${jobId}`);
  return 0;
});
