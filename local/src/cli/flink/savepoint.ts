import { savepointJob } from '@apphub/control-plane';
import { localControlPlane } from '../../control-plane/local-plane.js';
import { defineCommand } from '../run-cli.js';
import { busy, flinkProgram, jobArgument } from './shared.js';

/** `npm run flink -- savepoint <job>`: a savepoint now, then retention. */
export const savepointCommand = defineCommand({
  program: `${flinkProgram} savepoint`,
  arguments: '<job>',
  summary: 'Takes a savepoint of the running job <job> now, then applies retention.',
  details: () =>
    'The savepoint is recorded as manual. Nothing is done while another operation holds the job.',
  options: {},
  async run({ positionals }) {
    const jobName = jobArgument('savepoint', positionals);
    const held = await savepointJob(localControlPlane(), jobName);
    if (!held.ran) {
      console.log(busy(`savepoint of ${jobName}`, held.holder));
      return 0;
    }
    const { jobId, location, expired } = held.value;
    console.log(`savepoint of ${jobName} (${jobId}) completed: ${location}`);
    if (expired > 0) console.log(`retention deleted ${expired} older savepoint(s)`);
    return 0;
  },
});
