import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  computeAggregates,
  generateSampleEvents,
  normaliseAggregate,
  type SampleAggregate,
} from '@apphub/sample';
import { describe, expect, it } from 'vitest';
import { consumeRecords } from '../../../local/src/sample/consume.js';
import { produceEvents } from '../../../local/src/sample/produce.js';
import { submitSampleJob } from '../../../local/src/sample/submit.js';
import { repoRoot } from '../../../local/src/stack/index.js';
import {
  closerEvent,
  createTopic,
  eventually,
  jobsRemovedAfterAll,
  kafka,
  sendLive,
  uniqueName,
  userPartition,
  windowsClosedByIdleness,
} from '../helpers.js';

const exec = promisify(execFile);
const jobs = jobsRemovedAfterAll();

/** Reads the sink topic as an upsert log: the last value per key wins, tombstones delete. */
async function readAggregates(topic: string): Promise<Map<string, SampleAggregate>> {
  const records = await consumeRecords(kafka, topic, { timeoutMs: 5_000 });
  const table = new Map<string, SampleAggregate>();
  for (const record of records) {
    if (record.value === null) table.delete(record.key ?? '');
    else table.set(record.key ?? '', normaliseAggregate(JSON.parse(record.value)));
  }
  return table;
}

describe('sample job on the real stack', () => {
  it('aggregates out-of-order events with idle partitions exactly, window by window', async () => {
    const inputTopic = uniqueName('it-sample-input');
    const outputTopic = uniqueName('it-sample-aggregates');
    const deadLetterTopic = uniqueName('it-sample-dead-letter');
    await Promise.all([
      createTopic(inputTopic, 3),
      createTopic(outputTopic, 3),
      createTopic(deadLetterTopic, 1),
    ]);
    const start = new Date('2026-11-29T10:00:00.000Z');

    // Phase A: 24 users over 5 minutes on every partition, up to 4 s out of order (bound: 5 s).
    const busy = generateSampleEvents({
      count: 1500,
      users: 24,
      start,
      spanMs: 5 * 60_000,
      seed: 7,
      maxOutOfOrderMs: 4_000,
    });
    // Phase B: 2 more minutes on partition 0 only; partitions 1 and 2 go idle and must not stall the windows.
    const tail = generateSampleEvents({
      count: 200,
      users: 24,
      start: new Date(start.getTime() + 5 * 60_000),
      spanMs: 2 * 60_000,
      seed: 8,
      maxOutOfOrderMs: 4_000,
    });
    // A last event well past the data moves the watermark beyond the final window of the tail.
    const closer = closerEvent('2026-11-29T10:09:30.000Z');
    const poison = [
      { value: 'not json at all', reason: 'value is not a JSON object' },
      {
        value: JSON.stringify({ ...busy[0], event_id: 'p1', user_id: undefined }),
        reason: 'user_id is missing',
      },
      {
        value: JSON.stringify({ ...busy[0], event_id: 'p2', occurred_at: 'yesterday' }),
        reason: 'occurred_at is not an ISO-8601 UTC timestamp',
      },
      {
        value: JSON.stringify({ ...busy[0], event_id: 'p3', value: 'a lot' }),
        reason: 'value is not a number',
      },
      { value: JSON.stringify({ ...busy[0], event_id: undefined }), reason: 'event_id is missing' },
      {
        value: JSON.stringify({ ...busy[0], event_id: 'p4', occurred_at: null }),
        reason: 'occurred_at is missing',
      },
      { value: JSON.stringify({ ...busy[0], event_id: 'p5', value: undefined }), reason: 'value is missing' },
      { value: null, reason: 'record has no value (tombstone)' },
    ];
    let poisonBaseOffset = -1;

    const toFirstPartition = { partition: () => 0 };
    const { jobId, jobName } = await submitSampleJob({
      jobName: uniqueName('it-sample'),
      inputTopic,
      outputTopic,
      deadLetterTopic,
      groupId: uniqueName('it-group'),
    });
    jobs.push({ jobId, jobName });
    await sendLive(jobId, inputTopic, busy, { partition: userPartition });
    // Poison records between good ones: each must reach the dead-letter topic with its reason.
    // Nothing else writes to partition 1 now: its end is where the poison records start.
    poisonBaseOffset = Number((await kafka.endOffsets(inputTopic)).get(1));
    await kafka.produce(
      inputTopic,
      poison.map((record) => ({ key: 'poison', value: record.value, partition: 1 })),
    );
    await produceEvents(kafka, inputTopic, tail, toFirstPartition);
    // The tail's windows close through idleness, not through data: partitions 1 and 2 are quiet, and
    // only once Flink marks them idle does partition 0's watermark close them. Then the closer.
    await windowsClosedByIdleness(outputTopic, [...busy, ...tail]);
    await produceEvents(kafka, inputTopic, [closer], toFirstPartition);

    const expected = computeAggregates([...busy, ...tail]);
    expect(new Set(expected.map((a) => a.user_id)).size).toBeGreaterThanOrEqual(20);
    expect(new Set(expected.map((a) => a.window_start)).size).toBeGreaterThanOrEqual(5);

    const actual = await eventually(
      'every expected window on the sink topic',
      async () => {
        const table = await readAggregates(outputTopic);
        if (table.size < expected.length)
          throw new Error(`${table.size} of ${expected.length} aggregates so far`);
        return table;
      },
      180_000,
      3_000,
    );
    const byKey = new Map(
      expected.map((a) => [JSON.stringify({ user_id: a.user_id, window_start: a.window_start }), a]),
    );
    expect([...actual.keys()].sort()).toEqual([...byKey.keys()].sort());
    for (const [key, aggregate] of byKey)
      expect(JSON.stringify(actual.get(key)), key).toBe(JSON.stringify(aggregate));

    // The dead-letter sink is at-least-once (a restart replays from the last checkpoint), so its
    // records are identified by their source partition and offset.
    const deadLetters = await eventually('the dead letters', async () => {
      const records = await consumeRecords(kafka, deadLetterTopic, { timeoutMs: 5_000 });
      const unique = new Map(
        records.map((record) => {
          const value = JSON.parse(record.value!);
          return [`${value.source_partition}:${value.source_offset}`, value];
        }),
      );
      return unique.size >= poison.length
        ? [...unique.values()].sort((a, b) => a.source_offset - b.source_offset)
        : undefined;
    });
    expect(deadLetters).toEqual(
      poison.map((record, index) => ({
        reason: record.reason,
        payload: record.value,
        source_topic: inputTopic,
        source_partition: 1,
        source_offset: poisonBaseOffset + index,
      })),
    );
  });

  describe('submit:sample errors', () => {
    const cli = path.join(repoRoot, 'local/src/cli/submit-sample.ts');
    const tsx = path.join(repoRoot, 'node_modules/.bin/tsx');
    const run = (args: string[], env: Record<string, string> = {}) =>
      exec(tsx, [cli, ...args], { cwd: repoRoot, env: { ...process.env, ...env } }).then(
        (result) => ({ code: 0, ...result }),
        (error: { code: number; stdout: string; stderr: string }) => error,
      );
    const template = (body: string) => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), 'apphub-sql-')), 'job.sql');
      writeFileSync(file, body);
      return file;
    };

    it('fails before contacting Flink when a template variable is missing', async () => {
      const result = await run(
        [
          '--template',
          template(["SET 'pipeline.name' = '$", "{JOB_NAME}';\nSELECT '$", "{NOT_PROVIDED}';"].join('')),
        ],
        {
          APPHUB_SQL_GATEWAY_URL: 'http://127.0.0.1:1',
          APPHUB_FLINK_REST_URL: 'http://127.0.0.1:1',
        },
      );
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/^error: SQL template variables missing: NOT_PROVIDED$/m);
    });

    it("reports Flink's root cause for bad SQL", async () => {
      const result = await run([
        '--job-name',
        uniqueName('it-bad-sql'),
        '--template',
        template('INSERT INTO no_such_table SELECT 1;'),
      ]);
      expect(result.code).not.toBe(0);
      expect(result.stderr.trim().split('\n')).toHaveLength(2);
      expect(result.stderr).toMatch(/error: .*no_such_table/);
    });

    it('says in one line that the gateway is unreachable', async () => {
      const result = await run(['--job-name', uniqueName('it-down')], {
        APPHUB_SQL_GATEWAY_URL: 'http://127.0.0.1:1',
      });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/error: .*127\.0\.0\.1:1/);
    });
  });
});
