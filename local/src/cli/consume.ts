import { parseLocalEndpoints, platform } from '@apphub/platform';
import { consumeRecords } from '../sample/consume.js';
import { localKafka } from '../stack/clients.js';
import { parseFlags, runCli } from './run-cli.js';

/** Like `rpk topic consume -n N`: prints N records from the start of a topic as JSON lines, then exits. */
runCli(async () => {
  const { flags } = parseFlags(process.argv.slice(2), {
    topic: 'string',
    n: 'string',
    num: 'string',
    'timeout-seconds': 'string',
  });
  const topic = typeof flags.topic === 'string' ? flags.topic : platform.topics.aggregates.name;
  const limit = Number(flags.n ?? flags.num ?? 5);
  if (!Number.isInteger(limit) || limit <= 0)
    throw new Error(`-n must be a positive integer, got ${flags.n ?? flags.num}`);
  const timeoutMs = Number(flags['timeout-seconds'] ?? 10) * 1000;
  const records = await consumeRecords(localKafka(parseLocalEndpoints(), 'apphub-consume'), topic, {
    limit,
    timeoutMs,
  });
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
});
