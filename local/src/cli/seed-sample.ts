import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseLocalEndpoints, platform } from '@apphub/platform';
import { generateSampleEvents, parseEventLines, type SampleEvent } from '@apphub/sample';
import { produceEvents } from '../sample/produce.js';
import { localKafka } from '../stack/clients.js';
import { parseFlags, runCli } from './run-cli.js';

const usage = `usage: npm run seed:sample -- [--count N] [--users N] [--minutes N] [--start ISO] [--seed N]
                                [--out-of-order-seconds N] [--topic T] [--file events.jsonl] [--pause-ms 500]
  Events are sent a minute of event time at a time, --pause-ms apart, so no partition wakes up behind the watermark.`;

function positiveInt(value: string | boolean | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0)
    throw new Error(`--${name} must be a non-negative integer, got ${value}`);
  return number;
}

/** Events from --file (replayed exactly) or generated deterministically from the options. */
export function eventsFromFlags(flags: Record<string, string | boolean>): {
  events: SampleEvent[];
  source: string;
} {
  if (typeof flags.file === 'string') {
    // npm runs scripts from the package folder; resolve the user's path from where they typed it.
    const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), flags.file);
    return { events: parseEventLines(readFileSync(file, 'utf8'), flags.file), source: file };
  }
  const minutes = positiveInt(flags.minutes, 'minutes', 5);
  const start =
    typeof flags.start === 'string' ? new Date(flags.start) : new Date(Date.now() - minutes * 60_000);
  if (Number.isNaN(start.getTime())) throw new Error(`--start is not a date: ${flags.start}`);
  start.setUTCSeconds(0, 0);
  const options = {
    count: positiveInt(flags.count, 'count', 1000),
    users: Math.max(1, positiveInt(flags.users, 'users', 20)),
    start,
    spanMs: minutes * 60_000,
    seed: positiveInt(flags.seed, 'seed', 42),
    maxOutOfOrderMs: positiveInt(flags['out-of-order-seconds'], 'out-of-order-seconds', 3) * 1000,
  };
  return {
    events: generateSampleEvents(options),
    source: `generated (seed ${options.seed}, ${options.users} users, ${minutes} min from ${start.toISOString()})`,
  };
}

runCli(async () => {
  const { flags } = parseFlags(process.argv.slice(2), {
    count: 'string',
    users: 'string',
    minutes: 'string',
    start: 'string',
    seed: 'string',
    'out-of-order-seconds': 'string',
    topic: 'string',
    file: 'string',
    'pause-ms': 'string',
    help: 'boolean',
  });
  if (flags.help) {
    console.log(usage);
    return 0;
  }
  const endpoints = parseLocalEndpoints();
  const topic = typeof flags.topic === 'string' ? flags.topic : platform.topics.input.name;
  const { events, source } = eventsFromFlags(flags);
  process.stderr.write(
    `seeding ${events.length} events to ${topic} at ${endpoints.brokers.join(',')} from ${source}\n`,
  );
  let lastReport = 0;
  await produceEvents(localKafka(endpoints, 'apphub-seed'), topic, events, {
    pauseBetweenMinutesMs: positiveInt(flags['pause-ms'], 'pause-ms', 500),
    onProgress: (sent) => {
      if (sent - lastReport >= 2000 || sent === events.length) {
        process.stderr.write(`  ${sent}/${events.length} sent\n`);
        lastReport = sent;
      }
    },
  });
  const times = events.map((event) => event.occurred_at).sort();
  console.log(`sent ${events.length} events to ${topic}, event time ${times[0]} .. ${times.at(-1)}`);
  return 0;
});
