import { restoreJob } from '@apphub/control-plane';
import { localControlPlane } from '../../control-plane/local-plane.js';
import { CliArgumentInvalidError } from '../../errors.js';
import { defineCommand } from '../run-cli.js';
import { allowNonRestoredState, flinkProgram, jobArgument } from './shared.js';

/** `npm run flink -- restore <job> --from <path>`: a stopped managed job, running again from a snapshot. */
export const restoreCommand = defineCommand({
  program: `${flinkProgram} restore`,
  arguments: '<job>',
  summary: 'Restores the stopped managed job <job> from a savepoint or checkpoint.',
  details: () =>
    'The job is submitted with its recorded SQL from the completed snapshot at --from and recorded\n' +
    'as wanted running again.',
  options: {
    from: {
      type: 'string',
      valueName: 'PATH',
      description: 'the savepoint or checkpoint directory (s3://... or file://...); required',
    },
    'allow-non-restored-state': allowNonRestoredState,
  },
  async run({ values, positionals }) {
    const jobName = jobArgument('restore', positionals);
    if (values.from === undefined) {
      throw new CliArgumentInvalidError(
        `restore needs --from <savepoint or checkpoint path>; see ${flinkProgram} restore --help`,
      );
    }
    const restored = await restoreJob(localControlPlane(), {
      jobName,
      from: values.from,
      allowNonRestoredState: values['allow-non-restored-state'] === true,
    });
    console.log(`restored ${jobName} from ${values.from} as job ${restored.jobId}`);
    return 0;
  },
});
