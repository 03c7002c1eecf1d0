import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../local/src/stack/index.js';

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
});
