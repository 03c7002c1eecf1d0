import { autoscaleCommand } from './flink/autoscale.js';
import { jobsCommand } from './flink/jobs.js';
import { reconcileCommand } from './flink/reconcile.js';
import { rescaleCommand } from './flink/rescale.js';
import { restoreCommand } from './flink/restore.js';
import { savepointCommand } from './flink/savepoint.js';
import { flinkProgram } from './flink/shared.js';
import { statusCommand } from './flink/status.js';
import { stopCommand } from './flink/stop.js';
import { submitCommand } from './flink/submit.js';
import type { CommandGroup } from './run-cli.js';
import { runCli } from './run-cli.js';

/** `npm run flink -- <command>`: the control plane's operations against the local stack, one module each. */
export const cli: CommandGroup = {
  program: flinkProgram,
  summary:
    'Drives Flink through the control plane: the logic the Lambdas run in AWS, with the local stack\n' +
    'as its Flink, DynamoDB and S3.',
  commands: {
    jobs: jobsCommand,
    status: statusCommand,
    submit: submitCommand,
    savepoint: savepointCommand,
    stop: stopCommand,
    restore: restoreCommand,
    reconcile: reconcileCommand,
    rescale: rescaleCommand,
    autoscale: autoscaleCommand,
  },
};

runCli(cli, import.meta.url);
