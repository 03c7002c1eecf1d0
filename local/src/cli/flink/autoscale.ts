import { type AutoscaleDecisionRecord, resolveAutoscaleSettings } from '@apphub/control-plane';
import { localControlPlane } from '../../control-plane/local-plane.js';
import { CliArgumentInvalidError } from '../../errors.js';
import { defineCommand, integerOption } from '../run-cli.js';
import { flinkProgram } from './shared.js';

/** One decision as a line: when, what, to which parallelism, and why (codes, then the first sentence). */
function decisionLine(record: AutoscaleDecisionRecord): string {
  const { inputs } = record;
  const pending = inputs.pendingRecords === undefined ? '' : `, ${inputs.pendingRecords} pending`;
  const codes = record.reasons.map((reason) => reason.code).join(',');
  return `  ${record.decidedAt}  ${record.action.padEnd(10)} ${inputs.currentParallelism} -> ${record.parallelism}${pending}  [${codes}] ${record.reasons[0]?.detail ?? ''}`;
}

/** `npm run flink -- autoscale status [<job>]`: the autoscaler's switches and latest decisions per job. */
export const autoscaleCommand = defineCommand({
  program: `${flinkProgram} autoscale`,
  arguments: 'status [<job>]',
  summary: "Shows the autoscaler's switches and latest decisions of every managed job (or <job>).",
  details: () =>
    'Decisions come from the decisions table, newest first, each with its reason codes and the\n' +
    "numbers behind the first reason. A job is autoscaled only when its own switch ('autoscale':\n" +
    "{'enabled': true} in its submission) and the global one (APPHUB_AUTOSCALE) are on.",
  options: {
    limit: { type: 'string', default: '5', description: 'decisions shown per job' },
  },
  async run({ values, positionals }) {
    const [subcommand, jobName, ...extra] = positionals;
    if (subcommand !== 'status' || extra.length > 0) {
      throw new CliArgumentInvalidError(
        `autoscale takes status [<job>]; see ${flinkProgram} autoscale --help`,
      );
    }
    const limit = integerOption('--limit', String(values.limit), 1);
    const plane = localControlPlane();
    const global = plane.config.autoscale;
    console.log(`global switch: ${global.enabled ? 'on' : 'off'} (APPHUB_AUTOSCALE)`);
    const records = (await plane.jobs.list()).filter((record) => !jobName || record.jobName === jobName);
    if (jobName && records.length === 0) {
      throw new CliArgumentInvalidError(`${jobName} is not managed by the control plane`);
    }
    for (const record of records) {
      const settings = resolveAutoscaleSettings(global, record.autoscale, record.jobName);
      const own = record.autoscale?.enabled === true ? 'on' : 'off';
      console.log(
        `${record.jobName}: ${settings.enabled ? 'autoscaled' : 'not autoscaled'} (job switch ${own}), parallelism ${settings.minParallelism}..${settings.maxParallelism}`,
      );
      const decisions = (await plane.autoscaleDecisions?.latest(record.jobName, limit)) ?? [];
      for (const decision of decisions) console.log(decisionLine(decision));
      if (decisions.length === 0) console.log('  no decisions recorded');
    }
    return 0;
  },
});
