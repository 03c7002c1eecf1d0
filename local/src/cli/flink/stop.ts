import { stopJob } from '@apphub/control-plane';
import { localControlPlane } from '../../control-plane/local-plane.js';
import { defineCommand } from '../run-cli.js';
import { flinkProgram, jobArgument } from './shared.js';

/** `npm run flink -- stop <job>`: stop with a savepoint; a managed job stays stopped. */
export const stopCommand = defineCommand({
  program: `${flinkProgram} stop`,
  arguments: '<job>',
  summary: 'Stops the running job <job> with a final savepoint.',
  details: () =>
    'A managed job is recorded as stopped on purpose: reconcile leaves it alone until it is\n' +
    'restored or submitted again.',
  options: {
    drain: { type: 'boolean', description: 'emit every window first (advances the watermark to the end)' },
  },
  async run({ values, positionals }) {
    const jobName = jobArgument('stop', positionals);
    const stopped = await stopJob(localControlPlane(), { jobName, drain: values.drain === true });
    console.log(`stopped ${jobName} (${stopped.jobId}) with savepoint ${stopped.location}`);
    console.log(`restore with: ${flinkProgram} restore ${jobName} --from ${stopped.location}`);
    return 0;
  },
});
