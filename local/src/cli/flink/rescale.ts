import { rescaleJob } from '@apphub/control-plane';
import { parseLocalEndpoints } from '@apphub/platform';
import { localControlPlane } from '../../control-plane/local-plane.js';
import { localTaskManagerScaler } from '../../control-plane/local-task-managers.js';
import { CliArgumentInvalidError } from '../../errors.js';
import { defineCommand, integerOption } from '../run-cli.js';
import { busy, flinkProgram } from './shared.js';

/** `npm run flink -- rescale <job> <parallelism>`: the rescale Lambda's logic on the native TaskManagers. */
export const rescaleCommand = defineCommand({
  program: `${flinkProgram} rescale`,
  arguments: '<job> <parallelism>',
  summary: 'Rescales the managed job <job> to <parallelism>.',
  details: () =>
    'Stops it with a savepoint, starts or stops native TaskManagers as the new parallelism needs,\n' +
    'and restores it with that parallelism. Fails when another operation holds the job.',
  options: {},
  async run({ positionals }) {
    const [jobName, parallelism, ...extra] = positionals;
    if (!jobName || parallelism === undefined || extra.length > 0) {
      throw new CliArgumentInvalidError(
        `rescale takes <job> <parallelism>; see ${flinkProgram} rescale --help`,
      );
    }
    const target = integerOption('<parallelism>', parallelism, 1);
    const scaler = localTaskManagerScaler(parseLocalEndpoints());
    const result = await rescaleJob(localControlPlane(), scaler, { jobName, parallelism: target });
    if (!result.ran) {
      // The user asked for a change that did not happen: say so and fail, unlike a scheduled pass.
      console.log(busy(`rescale of ${jobName}`, result.holder));
      return 1;
    }
    const { action, plan, jobId, savepoint } = result.value;
    console.log(
      action === 'unchanged'
        ? `${jobName} unchanged: ${plan.reason}`
        : `rescaled ${jobName} to parallelism ${target}: job ${jobId} from ${savepoint} (${plan.reason})`,
    );
    return 0;
  },
});
