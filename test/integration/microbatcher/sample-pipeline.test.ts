import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  parseDatasetDescriptor,
  queryDataset,
  sampleBatcherDescriptor,
  windowManifestSchema,
} from '@apphub/microbatcher';
import { createLogger } from '@apphub/observability';
import { computeAggregates, generateSampleEvents, type SampleAggregate, toScaled } from '@apphub/sample';
import { describe, expect, it } from 'vitest';
import { BatcherRunner, loadLocalHandler } from '../../../local/src/batcher/index.js';
import { produceEvents } from '../../../local/src/sample/produce.js';
import { submitSampleJob } from '../../../local/src/sample/submit.js';
import { repoRoot } from '../../../local/src/stack/index.js';
import { lake, store } from '../../storage/microbatcher/harness.js';
import { unscaledDecimals } from '../../support/parquet-decimals.js';
import {
  closerEvent,
  createTopic,
  endpoints,
  eventually,
  jobsRemovedAfterAll,
  kafka,
  sendLive,
  uniqueName,
  userPartition,
  windowsClosedByIdleness,
} from '../helpers.js';
import { everyWindowSealed, runnersStoppedAfterAll } from './kafka-harness.js';

const exec = promisify(execFile);
const jobs = jobsRemovedAfterAll();
const runners = runnersStoppedAfterAll();

/** pyarrow, an independent reader: schema types and rows of Parquet files, as JSON (decimals as their exact text). */
const pyarrowReader = `
import json, sys
import pyarrow.parquet as pq
out = {"types": {}, "rows": []}
for path in sys.argv[1:]:
    table = pq.read_table(path)
    out["types"] = {field.name: str(field.type) for field in table.schema}
    for row in table.to_pylist():
        row["window_start"] = row["window_start"].isoformat()
        row["window_end"] = row["window_end"].isoformat()
        row["total_value"] = format(row["total_value"], "f")
        out["rows"].append(row)
print(json.dumps(out))
`;

describe('sample pipeline through the micro-batcher', () => {
  it('seals exactly the aggregates the sample job computes, exact decimal sums included, as pyarrow and hyparquet read them', async () => {
    // Prepare: the lead's sample job between two fresh topics, and a dataset of our own on its output.
    const inputTopic = uniqueName('it-mb-sample-input');
    const outputTopic = uniqueName('it-mb-sample-aggregates');
    await Promise.all([createTopic(inputTopic, 3), createTopic(outputTopic, 3)]);
    const descriptorInput = {
      ...sampleBatcherDescriptor,
      dataset: uniqueName('it-mb-sample'),
      topic: outputTopic,
      idleTimeout: '5 s',
    };
    const descriptor = parseDatasetDescriptor(descriptorInput);
    const start = new Date('2026-11-29T10:00:00.000Z');
    const events = generateSampleEvents({
      count: 1200,
      users: 20,
      start,
      spanMs: 5 * 60_000,
      seed: 11,
      maxOutOfOrderMs: 4_000,
    });
    const closer = closerEvent('2026-11-29T10:09:30.000Z');
    const { jobId, jobName } = await submitSampleJob({
      jobName: uniqueName('it-mb-sample'),
      inputTopic,
      outputTopic,
      groupId: uniqueName('it-mb-sample-group'),
      startupMode: 'earliest-offset',
    });
    jobs.push({ jobId, jobName });
    await sendLive(jobId, inputTopic, events, { partition: userPartition });
    // The closer goes to one partition; the others must first be marked idle, as they are once the
    // windows their data closes are out (waited for, not slept through).
    await windowsClosedByIdleness(outputTopic, events);
    await produceEvents(kafka, inputTopic, [closer], { partition: userPartition });
    const expected = computeAggregates(events);

    // Act: the local runner invokes the Lambda handler on the job's output until every aggregate is in.
    const local = await loadLocalHandler(endpoints, {
      TIMESTORE_STREAMING_BATCHERS: JSON.stringify([descriptorInput]),
    });
    const runner = new BatcherRunner({
      kafka,
      mappings: [{ topic: outputTopic, groupId: uniqueName('it-mb-sample-batcher') }],
      invoke: local.invoke,
      logger: createLogger('sample-pipeline-test', { sink: () => undefined }),
      batchSize: 100,
      sealIntervalMs: 0,
    });
    runners.push(runner);
    await runner.start();
    const range = { from: start.getTime(), to: start.getTime() + 60 * 60_000 };
    await eventually(
      'every expected aggregate in the dataset',
      async () => {
        const rows = (await queryDataset({ lake, store }, descriptor, range)).rows;
        return rows.length >= expected.length ? rows : undefined;
      },
      240_000,
      2_000,
    );
    // Once the topic has been quiet for the idle timeout, a sealing pass seals the rest.
    await everyWindowSealed(runner, { lake, store }, descriptor, range);

    // Assess: the sealed manifest's files, read by pyarrow, equal the independently computed aggregates.
    const hybrid = await queryDataset({ lake, store }, descriptor, range);
    expect(hybrid.rows.every((row) => row.status === 'sealed')).toBe(true);
    const window = await store.windows.get(descriptor.dataset, start.getTime());
    const manifest = await lake.getJson(window!.manifestKey!, windowManifestSchema);
    const directory = mkdtempSync(path.join(tmpdir(), 'apphub-sealed-'));
    const files = await Promise.all(
      manifest.files.map(async (file, index) => {
        const local = path.join(directory, `part-${index}.parquet`);
        writeFileSync(local, await lake.get(file.key));
        return local;
      }),
    );
    const python = path.join(repoRoot, '.cache/venv/bin/python');
    const { stdout } = await exec(python, ['-c', pyarrowReader, ...files]);
    const read = JSON.parse(stdout) as { types: Record<string, string>; rows: Record<string, unknown>[] };
    expect(read.types).toEqual({
      user_id: 'string',
      window_start: 'timestamp[ms, tz=UTC]',
      window_end: 'timestamp[ms, tz=UTC]',
      event_count: 'int64',
      total_value: 'decimal128(38, 9)',
    });
    const iso = (text: unknown) => new Date(String(text)).toISOString();
    const byWindowAndUser = (a: SampleAggregate, b: SampleAggregate) =>
      a.window_start.localeCompare(b.window_start) || a.user_id.localeCompare(b.user_id);
    // Each sum is compared as text, digit for digit, with the exact sum of its events.
    const actual = read.rows
      .map(
        (row): SampleAggregate => ({
          user_id: String(row.user_id),
          window_start: iso(row.window_start),
          window_end: iso(row.window_end),
          event_count: Number(row.event_count),
          total_value: String(row.total_value),
        }),
      )
      .sort(byWindowAndUser);
    const sortedExpected = [...expected].sort(byWindowAndUser);
    expect(actual).toHaveLength(sortedExpected.length);
    expect(actual).toEqual(sortedExpected);
    // hyparquet: the 16-byte DECIMAL(38, 9) values as stored, in the files' row order.
    const stored: bigint[] = [];
    for (const file of manifest.files) {
      const unscaled = await unscaledDecimals(await lake.get(file.key), 'total_value');
      stored.push(...unscaled.map((value) => value!));
    }
    const inFileOrder = read.rows.map((row) => toScaled(String(row.total_value)));
    expect(stored).toEqual(inFileOrder);
    expect([...stored].sort()).toEqual(
      sortedExpected.map((aggregate) => toScaled(aggregate.total_value)).sort(),
    );
    // And the hybrid read gives the same text.
    expect(hybrid.rows.map((row) => `${row.values.user_id}|${row.values.total_value}`).sort()).toEqual(
      sortedExpected.map((aggregate) => `${aggregate.user_id}|${aggregate.total_value}`).sort(),
    );
  });
});
