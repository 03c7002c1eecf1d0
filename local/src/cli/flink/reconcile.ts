import { reconcileJobs } from '@apphub/control-plane';
import { localControlPlane } from '../../control-plane/local-plane.js';
import { defineCommand } from '../run-cli.js';
import { table } from '../table.js';
import { busy, describeRestore, flinkProgram } from './shared.js';

/** `npm run flink -- reconcile [<job> ...]`: what the EventBridge schedule runs in AWS, once. */
export const reconcileCommand = defineCommand({
  program: `${flinkProgram} reconcile`,
  arguments: '[<job> ...]',
  summary: 'Runs one reconcile pass over every managed job, or the named ones.',
  details: () =>
    "What the EventBridge schedule runs in AWS, e.g. after local:down/up lost Flink's jobs: a job\n" +
    'Flink no longer runs is resubmitted from its newest checkpoint or savepoint.',
  options: {},
  async run({ positionals }) {
    const pass = await reconcileJobs(localControlPlane(), positionals);
    if (!pass.ran) {
      console.log(busy('reconcile', pass.holder));
      return 0;
    }
    const outcomes = pass.value;
    if (outcomes.length === 0) {
      console.log(`no managed jobs; submit one with ${flinkProgram} submit <job>`);
      return 0;
    }
    console.log(
      table(
        ['JOB', 'ACTION', 'JOB ID', 'REASON'],
        outcomes.map(({ jobName, decision, jobId, error }) => [
          jobName,
          decision.action,
          jobId ?? '-',
          [
            decision.reason,
            ...(decision.action === 'resubmit' ? [`restore: ${describeRestore(decision.restore)}`] : []),
            ...(error ? [`failed: ${error}`] : []),
          ].join('; '),
        ]),
      ),
    );
    return outcomes.some((outcome) => outcome.error) ? 1 : 0;
  },
});
