import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseLocalEndpoints, platform } from '@apphub/platform';
import { generateSampleEvents, parseEventLines, type SampleEvent } from '@apphub/sample';
import { CliArgumentInvalidError } from '../errors.js';
import { produceEvents } from '../sample/produce.js';
import { localKafka } from '../stack/clients.js';
import { type CommandInput, defineCommand, integerOption, type OptionTable, runCli } from './run-cli.js';

const options = {
  count: { type: 'string', valueName: 'N', description: 'events to generate', default: '1000' },
  users: { type: 'string', valueName: 'N', description: 'distinct users', default: '20' },
  minutes: { type: 'string', valueName: 'N', description: 'minutes of event time', default: '5' },
  start: {
    type: 'string',
    valueName: 'ISO',
    description: 'first minute of event time; default: --minutes before now',
  },
  seed: {
    type: 'string',
    valueName: 'N',
    description: 'random seed: the same seed, the same events',
    default: '42',
  },
  'out-of-order-seconds': {
    type: 'string',
    valueName: 'N',
    description: 'how far an event may arrive behind a later one',
    default: '3',
  },
  topic: {
    type: 'string',
    valueName: 'T',
    description: 'topic to send to',
    default: platform.topics.input.name,
  },
  file: {
    type: 'string',
    valueName: 'FILE',
    description: 'replay these events (JSON lines) exactly instead of generating',
  },
  'pause-ms': {
    type: 'string',
    valueName: 'MS',
    description: 'pause between minutes of event time',
    default: '500',
  },
} as const satisfies OptionTable;

/** Events from --file (replayed exactly) or generated deterministically from the options. */
export function eventsFromOptions(values: CommandInput<typeof options>['values']): {
  events: SampleEvent[];
  source: string;
} {
  if (values.file !== undefined) {
    // npm runs scripts from the package folder; resolve the user's path from where they typed it.
    const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), values.file);
    return { events: parseEventLines(readFileSync(file, 'utf8'), values.file), source: file };
  }
  const minutes = integerOption('--minutes', values.minutes);
  const start = values.start === undefined ? new Date(Date.now() - minutes * 60_000) : new Date(values.start);
  if (Number.isNaN(start.getTime()))
    throw new CliArgumentInvalidError(`--start is not a date: ${values.start}`);
  start.setUTCSeconds(0, 0);
  const generation = {
    count: integerOption('--count', values.count),
    users: Math.max(1, integerOption('--users', values.users)),
    start,
    spanMs: minutes * 60_000,
    seed: integerOption('--seed', values.seed),
    maxOutOfOrderMs: integerOption('--out-of-order-seconds', values['out-of-order-seconds']) * 1000,
  };
  return {
    events: generateSampleEvents(generation),
    source: `generated (seed ${generation.seed}, ${generation.users} users, ${minutes} min from ${start.toISOString()})`,
  };
}

async function seedSample({ values }: CommandInput<typeof options>): Promise<number> {
  const endpoints = parseLocalEndpoints();
  const topic = values.topic;
  const { events, source } = eventsFromOptions(values);
  const pauseBetweenMinutesMs = integerOption('--pause-ms', values['pause-ms']);
  process.stderr.write(
    `seeding ${events.length} events to ${topic} at ${endpoints.brokers.join(',')} from ${source}\n`,
  );
  let lastReport = 0;
  const kafka = localKafka(endpoints, 'apphub-seed');
  try {
    await produceEvents(kafka, topic, events, {
      pauseBetweenMinutesMs,
      onProgress: (sent) => {
        if (sent - lastReport >= 2000 || sent === events.length) {
          process.stderr.write(`  ${sent}/${events.length} sent\n`);
          lastReport = sent;
        }
      },
    });
  } finally {
    await kafka.close();
  }
  const times = events.map((event) => event.occurred_at).sort();
  console.log(`sent ${events.length} events to ${topic}, event time ${times[0]} .. ${times.at(-1)}`);
  return 0;
}

/** `npm run seed:sample`: sample events into the input topic. */
export const cli = defineCommand({
  program: 'npm run seed:sample --',
  summary: 'Sends sample events to the input topic, generated from a seed or replayed from a file.',
  details: () =>
    'Events are sent a minute of event time at a time, --pause-ms apart, so no partition wakes up\n' +
    'behind the watermark.',
  options,
  run: seedSample,
});

runCli(cli, import.meta.url);
