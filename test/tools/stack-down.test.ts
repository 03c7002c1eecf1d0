import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { LOCAL_FAILED_BATCH_BUCKET } from '../../local/src/batcher/index.js';
import { repoRoot } from '../../local/src/stack/paths.js';
import { stackDownEnvironment } from '../support/closed-ports.js';

// The CLIs as a new user runs them before `npm run local:up`: every endpoint variable points at a
// loopback port nothing listens on, so no stack is needed and none that runs is touched.
const exec = promisify(execFile);
const tsx = path.join(repoRoot, 'node_modules/.bin/tsx');

/** Runs a CLI of local/src/cli in its own tsx process, returning its exit code and stderr. */
function run(cli: string, args: readonly string[], env: Record<string, string>) {
  return exec(tsx, [path.join('local/src/cli', cli), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
  }).then(
    (result) => ({ code: 0, stderr: result.stderr }),
    (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
  );
}

describe('a command run while the local stack is down', () => {
  it('fails in one line naming the component that does not answer and how to start the stack', async () => {
    const env = await stackDownEnvironment();
    const start = 'start the local stack with npm run local:up';

    const [submit, seed, submitCompose, replay] = await Promise.all([
      run('submit-sample.ts', [], env),
      run('seed-sample.ts', ['--count', '1'], env),
      run('submit-sample.ts', ['--env', 'compose'], env),
      run('batcher.ts', ['--replay', `s3://${LOCAL_FAILED_BATCH_BUCKET}/nothing/`], env),
    ]);

    const outcome = (result: { code: number; stderr: string }) => ({
      code: result.code,
      errors: result.stderr.split('\n').filter((line) => line.startsWith('error: ')),
      trace: result.stderr.split('\n').filter((line) => /^\s+at |ECONNREFUSED/.test(line)),
    });
    expect(outcome(submit)).toEqual({
      code: 1,
      errors: [
        `error: the DynamoDB endpoint (moto) at ${env.APPHUB_AWS_ENDPOINT_URL} is not answering: ${start}`,
      ],
      trace: [],
    });
    expect(outcome(seed)).toEqual({
      code: 1,
      errors: [`error: the Kafka broker at ${env.APPHUB_STREAM_BROKER_URL} is not answering: ${start}`],
      trace: [],
    });
    expect(outcome(submitCompose)).toEqual({
      code: 1,
      errors: [
        `error: the Flink JobManager REST API at ${env.APPHUB_FLINK_REST_URL} is not answering: ${start}`,
      ],
      trace: [],
    });
    expect(outcome(replay)).toEqual({
      code: 1,
      errors: [`error: the S3 endpoint (MinIO) at ${env.APPHUB_S3_ENDPOINT_URL} is not answering: ${start}`],
      trace: [],
    });
  });

  it('names the file the stack creates when it never ran, such as the Kafka TLS CA the batcher trusts', async () => {
    const stackDir = mkdtempSync(path.join(tmpdir(), 'apphub-never-started-'));

    const batcher = await run('batcher.ts', [], {
      ...(await stackDownEnvironment()),
      APPHUB_STACK_DIR: stackDir,
    }).finally(() => rmSync(stackDir, { recursive: true, force: true }));

    expect(batcher.code).toBe(1);
    expect(batcher.stderr).toBe(
      "error: the local stack's kafka/tls/ca.pem does not exist yet: start the local stack with npm run local:up\n",
    );
  });
});
