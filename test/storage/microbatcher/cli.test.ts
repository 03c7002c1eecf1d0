import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseDatasetDescriptor, processKafkaEvent, sampleBatcherDescriptor } from '@apphub/microbatcher';
import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { LOCAL_FAILED_BATCH_BUCKET } from '../../../local/src/batcher/index.js';
import { repoRoot } from '../../../local/src/stack/index.js';
import { aws, uniqueName } from '../helpers.js';
import { base, iso, minute, mskEvent, testContext } from './harness.js';

const exec = promisify(execFile);
const tsx = path.join(repoRoot, 'node_modules/.bin/tsx');
const run = (cli: string, args: string[], env: Record<string, string> = {}) =>
  exec(tsx, [path.join(repoRoot, 'local/src/cli', cli), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
  }).then(
    (result) => ({ code: 0, ...result }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );

describe('micro-batcher CLIs', () => {
  it('npm run batcher fails in one line naming the descriptor and field of a bad TIMESTORE_STREAMING_BATCHERS', async () => {
    const bad = JSON.stringify([{ dataset: 'it-bad', schema: { fields: [{ name: 'a', type: 'text' }] } }]);
    const result = await run('batcher.ts', [], { TIMESTORE_STREAMING_BATCHERS: bad });
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^error: TIMESTORE_STREAMING_BATCHERS\[0\] \(dataset it-bad\) is invalid: schema\.fields\.0\.type: /,
    );
  });

  it('npm run batcher --replay fails in one line naming an object that is not a failed batch, and leaves it', async () => {
    // Prepare: an object in the local failed-batch bucket that Lambda would never write.
    await aws.s3
      .send(new CreateBucketCommand({ Bucket: LOCAL_FAILED_BATCH_BUCKET }))
      .catch((error: unknown) => {
        if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
      });
    const prefix = `${uniqueName('it-replay-bad')}/`;
    const key = `${prefix}batch.json`;
    await aws.s3.send(
      new PutObjectCommand({ Bucket: LOCAL_FAILED_BATCH_BUCKET, Key: key, Body: '{"requestContext":' }),
    );

    // Act
    const result = await run('batcher.ts', [
      '--replay',
      `s3://${LOCAL_FAILED_BATCH_BUCKET}/${prefix}`,
      '--delete',
    ]);

    // Assess
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^error: s3://${LOCAL_FAILED_BATCH_BUCKET}/${key} is not a Lambda failed-batch record: not JSON \\(`,
      ),
    );
    await aws.s3.send(new HeadObjectCommand({ Bucket: LOCAL_FAILED_BATCH_BUCKET, Key: key }));
  });

  it('npm run batcher --replay says so in one line when there is nothing to replay or the URI is not s3://', async () => {
    const empty = `s3://${LOCAL_FAILED_BATCH_BUCKET}/${uniqueName('it-replay-none')}/`;

    const nothing = await run('batcher.ts', ['--replay', empty]);
    const notS3 = await run('batcher.ts', ['--replay', '/tmp/batch.json']);

    expect(nothing.code).not.toBe(0);
    expect(nothing.stderr.trim()).toBe(`error: nothing to replay: no failed-batch object at ${empty}`);
    expect(notS3.code).not.toBe(0);
    expect(notS3.stderr.trim()).toBe(
      'error: --replay expects s3://<bucket>/<object or prefix>, got /tmp/batch.json',
    );
  });

  it('npm run query rejects an unknown dataset and a bad time, and reads an empty range of the sample dataset', async () => {
    const unknown = await run('query.ts', ['--dataset', 'nope', '--from', '0', '--to', '1']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(
      /^error: --dataset nope is not a configured dataset; known: user-activity-1m$/m,
    );
    const badTime = await run('query.ts', ['--dataset', 'user-activity-1m', '--from', 'soon', '--to', '1']);
    expect(badTime.stderr).toMatch(/^error: --from must be ISO-8601 or epoch milliseconds, got soon$/m);
    const empty = await run('query.ts', [
      '--dataset',
      'user-activity-1m',
      '--from',
      '1970-01-01T00:00:00Z',
      '--to',
      '1970-01-01T01:00:00Z',
      '--json',
    ]);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toMatch(/^0 rows \(0 sealed, 0 hot\)/m);
  });

  it('npm run query prints decimals exactly, as strings with --json', async () => {
    // Prepare: one aggregate whose sum has more digits than a double holds, in a dataset of its own.
    const dataset = uniqueName('it-mb-query');
    const input = {
      ...sampleBatcherDescriptor,
      dataset,
      topic: `${dataset}-topic`,
      windowDuration: '1 min',
      allowedLateness: '0 s',
      idleTimeout: '1 h',
      topicPartitions: undefined,
    };
    const descriptor = parseDatasetDescriptor(input);
    const value = `{"user_id":"u-1","window_start":"${iso(base)}","window_end":"${iso(base + minute)}","event_count":3,"total_value":12345678901234567890.123456789}`;
    await processKafkaEvent(
      testContext([descriptor]).context,
      mskEvent([
        {
          topic: descriptor.topic,
          partition: 0,
          offset: 0,
          timestamp: base,
          key: Buffer.from(JSON.stringify({ user_id: 'u-1', window_start: iso(base) })),
          value: Buffer.from(value),
        },
      ]),
    );
    const env = { TIMESTORE_STREAMING_BATCHERS: JSON.stringify([input]) };
    const range = ['--dataset', dataset, '--from', iso(base), '--to', iso(base + minute)];

    // Act
    const json = await run('query.ts', [...range, '--json'], env);
    const table = await run('query.ts', range, env);

    // Assess
    expect(json.stderr).toMatch(/^1 rows \(0 sealed, 1 hot\)/m);
    expect(JSON.parse(json.stdout)).toEqual({
      status: 'hot',
      user_id: 'u-1',
      window_start: iso(base),
      window_end: iso(base + minute),
      event_count: 3,
      total_value: '12345678901234567890.123456789',
    });
    expect(table.stdout.trim().split('\n')).toEqual([
      'STATUS\tUSER_ID\tWINDOW_START\tWINDOW_END\tEVENT_COUNT\tTOTAL_VALUE',
      `hot\tu-1\t${iso(base)}\t${iso(base + minute)}\t3\t12345678901234567890.123456789`,
    ]);
  });
});
