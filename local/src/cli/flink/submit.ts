import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type RestoreChoice, submitSql } from '@apphub/control-plane';
import { platform } from '@apphub/platform';
import { localControlPlane } from '../../control-plane/local-plane.js';
import { CliArgumentInvalidError } from '../../errors.js';
import { sampleJobVariables } from '../../sample/submit.js';
import { repoRoot } from '../../stack/paths.js';
import { defineCommand } from '../run-cli.js';
import { allowNonRestoredState, describeRestore, flinkProgram, jobArgument } from './shared.js';

/** `npm run flink -- submit <job>`: the submit-sql Lambda's logic against the local stack. */
export const submitCommand = defineCommand({
  program: `${flinkProgram} submit`,
  arguments: '<job>',
  summary: 'Submits a SQL template as the managed job <job>.',
  details: () =>
    'A new job starts; the same SQL again keeps it; changed SQL upgrades it through a savepoint.\n' +
    'Reconcile brings a managed job back when Flink loses it.\n' +
    '--restore takes none, latest-savepoint, latest-checkpoint or a snapshot path (s3://... or file://...).',
  options: {
    template: {
      type: 'string',
      valueName: 'FILE',
      description: 'SQL template, relative to the repository',
      default: platform.sampleJob.sqlTemplate,
    },
    vars: {
      type: 'string',
      valueName: 'K=V,...',
      description: "template variables over the sample job's (topics, brokers, group id)",
    },
    restore: {
      type: 'string',
      valueName: 'SOURCE',
      description: 'state to start from; default: none for a new job, the stop savepoint for an upgrade',
    },
    'allow-non-restored-state': allowNonRestoredState,
  },
  async run({ values, positionals }) {
    const jobName = jobArgument('submit', positionals);
    const result = await submitSql(localControlPlane(), {
      jobName,
      sqlTemplate: readFileSync(path.resolve(repoRoot, values.template), 'utf8'),
      // The sample job's variables (topics, brokers, ...) are defaults; --vars adds or overrides.
      variables: { ...sampleJobVariables({ jobName }), ...parseVars(values.vars) },
      restore: values.restore === undefined ? undefined : parseRestore(values.restore),
      allowNonRestoredState: values['allow-non-restored-state'] === true,
    });
    console.log(
      `${result.action} ${jobName}: job ${result.jobId} (restore: ${describeRestore(result.restoreSource)})`,
    );
    return 0;
  },
});

function parseVars(value: string | undefined): Record<string, string> {
  if (value === undefined) return {};
  return Object.fromEntries(
    value.split(',').map((pair) => {
      const [name, ...rest] = pair.split('=');
      if (!name || rest.length === 0)
        throw new CliArgumentInvalidError(`--vars expects K=V pairs separated by commas, got "${pair}"`);
      return [name.trim(), rest.join('=')];
    }),
  );
}

function parseRestore(value: string): RestoreChoice {
  if (value === 'none' || value === 'latest-savepoint' || value === 'latest-checkpoint')
    return { kind: value };
  return { kind: 'path', path: value };
}
