import path from 'node:path';
import { platform } from '@apphub/platform';
import { type StartupMode, startupModes, submitSampleJob } from '../sample/submit.js';
import { parseFlags, runCli } from './run-cli.js';

runCli(async () => {
  const { flags } = parseFlags(process.argv.slice(2), {
    'job-name': 'string',
    'input-topic': 'string',
    'output-topic': 'string',
    'group-id': 'string',
    'startup-mode': 'string',
    fromSavepoint: 'string',
    'from-savepoint': 'string',
    template: 'string',
  });
  const startupMode = flags['startup-mode'];
  if (startupMode !== undefined && !startupModes.includes(startupMode as StartupMode)) {
    throw new Error(`--startup-mode must be one of ${startupModes.join(', ')}, got ${startupMode}`);
  }
  const text = (name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  const fromSavepoint = text('fromSavepoint') ?? text('from-savepoint');
  const templateFlag = text('template');
  const template = templateFlag
    ? path.resolve(process.env.INIT_CWD ?? process.cwd(), templateFlag)
    : undefined;
  process.stderr.write(
    `submitting ${template ?? platform.sampleJob.sqlTemplate}${fromSavepoint ? ` from ${fromSavepoint}` : ''}\n`,
  );
  const { jobId, jobName, action } = await submitSampleJob({
    ...(text('job-name') ? { jobName: text('job-name') } : {}),
    ...(text('input-topic') ? { inputTopic: text('input-topic') } : {}),
    ...(text('output-topic') ? { outputTopic: text('output-topic') } : {}),
    ...(text('group-id') ? { groupId: text('group-id') } : {}),
    ...(startupMode ? { startupMode: startupMode as StartupMode } : {}),
    ...(fromSavepoint ? { fromSavepoint } : {}),
    ...(template ? { templatePath: template } : {}),
  });
  console.log(`${action} ${jobName}: Flink job id ${jobId}`);
  return 0;
});
