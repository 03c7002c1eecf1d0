import { parseFaultKinds } from '../soak/faults.js';
import { formatSoakReport, soakPassed } from '../soak/report.js';
import { runSoak } from '../soak/run.js';
import { type CommandInput, defineCommand, integerOption, type OptionTable, runCli } from './run-cli.js';

const options = {
  minutes: {
    type: 'string',
    valueName: 'N',
    description: 'minutes of traffic (faults start inside them)',
    default: '5',
  },
  seed: {
    type: 'string',
    valueName: 'N',
    description: 'seed of the events and of the fault schedule',
    default: '1',
  },
  faults: {
    type: 'string',
    valueName: 'KINDS',
    description: 'comma-separated fault kinds, or all',
    default: 'all',
  },
  rate: { type: 'string', valueName: 'N', description: 'events per second', default: '20' },
  users: { type: 'string', valueName: 'N', description: 'distinct users of the events', default: '40' },
} as const satisfies OptionTable;

async function soak({ values }: CommandInput<typeof options>): Promise<number> {
  const result = await runSoak({
    minutes: integerOption('--minutes', values.minutes, 1),
    seed: integerOption('--seed', values.seed),
    kinds: parseFaultKinds(values.faults),
    eventsPerSecond: integerOption('--rate', values.rate, 1),
    users: integerOption('--users', values.users, 1),
    say: (line) => console.error(line),
  });
  console.log(formatSoakReport(result));
  return soakPassed(result) ? 0 : 1;
}

/** `npm run soak`: faults of every kind while data flows, and the output still exact. */
export const cli = defineCommand({
  program: 'npm run soak --',
  summary:
    'Injects seeded faults into the running local stack while events flow, then checks nothing was lost or doubled.',
  details: () =>
    'Needs the local stack (npm run local:up). Runs the sample job (submitted when missing) and a\n' +
    'micro-batcher runner of its own (one retry, 40 s invocations), produces sample events at --rate for\n' +
    '--minutes, and meanwhile, in a seeded order, in sequence and overlapping: kill -9 of the JobManager,\n' +
    'a TaskManager, the SQL Gateway, Kafka, MinIO, the DynamoDB endpoint and the runner; SIGSTOP of\n' +
    "Kafka, MinIO and the DynamoDB endpoint longer than the clients' timeouts, then SIGCONT; an outage of\n" +
    "the DynamoDB endpoint longer than the mapping's retries, then npm run batcher -- --replay. Each\n" +
    'fault waits for the stack to come back by itself (supervisord, the reconciler, the runner restarted).\n' +
    'Then every aggregate computed from the events produced must be exact on the sink topic (upsert\n' +
    'view) and in the sealed lake, with no duplicate key, and every malformed event among the dead\n' +
    'letters. Prints faults by kind with recovery p50/max, records lost and doubled; exits 1 unless both\n' +
    'are 0 and every fault recovered.',
  options,
  run: soak,
});

runCli(cli, import.meta.url);
