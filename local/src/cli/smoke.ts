import { ConfigInvalidError } from '@apphub/platform';
import { formatSmokeReport } from '@apphub/smoke';
import { invokeSmokeFunction, smokeLambdaClient } from '../smoke/aws.js';
import { runNativeSmoke } from '../smoke/native.js';
import { type CommandInput, defineCommand, integerOption, type OptionTable, runCli } from './run-cli.js';

const options = {
  target: {
    type: 'string',
    valueName: 'native|aws',
    description: 'where the pipeline runs',
    default: 'native',
  },
  'stack-prefix': {
    type: 'string',
    valueName: 'PREFIX',
    description: "with --target aws: the deployment's stackPrefix (e.g. AppHubStreaming); required",
  },
  region: {
    type: 'string',
    valueName: 'REGION',
    description: "with --target aws: the AWS Region (default: the profile's)",
  },
  'timeout-s': {
    type: 'string',
    valueName: 'S',
    description: 'native only: the longest the whole run may take',
    default: '600',
  },
} as const satisfies OptionTable;

async function smoke({ values }: CommandInput<typeof options>): Promise<number> {
  if (values.target !== 'native' && values.target !== 'aws') {
    throw new ConfigInvalidError(`--target must be native or aws, got ${values.target}`);
  }
  let report: Awaited<ReturnType<typeof runNativeSmoke>>;
  if (values.target === 'aws') {
    const stackPrefix = values['stack-prefix'];
    if (stackPrefix === undefined) throw new ConfigInvalidError('--target aws needs --stack-prefix PREFIX');
    console.error(`running the smoke test inside ${stackPrefix} (up to 15 minutes)...`);
    report = await invokeSmokeFunction({
      stackPrefix,
      client: smokeLambdaClient(values.region ? { region: values.region } : {}),
    });
  } else {
    if (values['stack-prefix'] !== undefined || values.region !== undefined) {
      throw new ConfigInvalidError('--stack-prefix and --region apply only with --target aws');
    }
    console.error('running the smoke test on the native stack (about 3 minutes)...');
    report = await runNativeSmoke(
      {},
      { timeoutMs: integerOption('--timeout-s', values['timeout-s'], 60) * 1000 },
    );
  }
  console.log(formatSmokeReport(report));
  return report.passed ? 0 : 1;
}

/** `npm run smoke`: proves a deployment works by the seed's steps, as one command. */
export const cli = defineCommand({
  program: 'npm run smoke --',
  summary: 'Sends a small marked sample through the pipeline and checks every step to the sealed lake.',
  details: () =>
    'Produces a deterministic sample (ids prefixed apphub-smoke-<run id>) into the input topic at the\n' +
    'current time, closes its 1-minute window with one event per partition, then waits for its\n' +
    'aggregates on the aggregates topic and for their window sealed in the lake, comparing counts and\n' +
    'totals with those computed from the sample. Prints one row per step (time, PASS/FAIL); exits 1 on\n' +
    "any failure. Natively it submits the sample job and runs npm run batcher's runner when they are\n" +
    "not running; with --target aws it invokes the deployment's <stack prefix>-smoke function, which\n" +
    'runs the same steps inside the VPC (the sample job must run: submit it with submit-sql).',
  options,
  run: smoke,
});

runCli(cli, import.meta.url);
