import { parseLocalEndpoints, platform } from '@apphub/platform';
import { consumeRecords } from '../sample/consume.js';
import { withLocalKafka } from '../stack/clients.js';
import { type CommandInput, defineCommand, integerOption, type OptionTable, runCli } from './run-cli.js';

const options = {
  topic: {
    type: 'string',
    valueName: 'T',
    description: 'topic to read',
    default: platform.topics.aggregates.name,
  },
  num: { type: 'string', short: 'n', valueName: 'N', description: 'records to print', default: '5' },
  'timeout-seconds': {
    type: 'string',
    valueName: 'S',
    description: 'stop waiting for records after this long',
    default: '10',
  },
} as const satisfies OptionTable;

async function consume({ values }: CommandInput<typeof options>): Promise<number> {
  const { topic } = values;
  const limit = integerOption('-n', values.num, 1);
  const timeoutMs = integerOption('--timeout-seconds', values['timeout-seconds']) * 1000;
  const records = await withLocalKafka(parseLocalEndpoints(), 'apphub-consume', (kafka) =>
    consumeRecords(kafka, topic, { limit, timeoutMs }),
  );
  for (const record of records) {
    console.log(
      JSON.stringify({
        topic,
        key: record.key,
        value: record.value,
        partition: record.partition,
        offset: record.offset,
        timestamp: record.timestamp,
      }),
    );
  }
  if (records.length < limit)
    process.stderr.write(
      `${records.length} of ${limit} records found in ${topic} within ${timeoutMs / 1000}s\n`,
    );
  return 0;
}

/** `npm run consume`: like `rpk topic consume -n N`. */
export const cli = defineCommand({
  program: 'npm run consume --',
  summary: 'Prints the first N records of a topic as JSON lines, then exits (like rpk topic consume -n N).',
  options,
  run: consume,
});

runCli(cli, import.meta.url);
