import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cli as bench } from '../../bench/run.js';
import { cli as flink } from '../../local/src/cli/flink.js';
import { commandHelp } from '../../local/src/cli/run-cli.js';
import { repoRoot } from '../../local/src/stack/paths.js';

// The CLIs as a user runs them, each in its own tsx process (test/unit/local/cli-help.test.ts checks
// every CLI's help in-process).
const exec = promisify(execFile);
const tsx = path.join(repoRoot, 'node_modules/.bin/tsx');

describe('--help as a user runs it', () => {
  it('prints the command help of `npm run flink -- submit --help` and of bench, exiting 0', async () => {
    const [submitHelp, benchHelp] = await Promise.all([
      exec(tsx, ['local/src/cli/flink.ts', 'submit', '--help'], { cwd: repoRoot }),
      exec(tsx, ['bench/run.ts', '-h'], { cwd: repoRoot }),
    ]);

    expect(submitHelp.stdout).toBe(`${commandHelp(flink.commands.submit!)}\n`);
    expect(benchHelp.stdout).toBe(`${commandHelp(bench)}\n`);
  });

  it('fails in one line naming an unknown flag, before contacting anything', async () => {
    const failure = await exec(tsx, ['local/src/cli/query.ts', '--datset', 'x'], { cwd: repoRoot }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );

    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toBe(
      'error: unknown option --datset; known options: --dataset, --from, --to, --json, --include-smoke, -h/--help\n',
    );
  });

  it('stops the bench in one line naming a misspelt APPHUB_* variable, before it measures anything', async () => {
    const failure = await exec(tsx, ['bench/run.ts', '--only', 'handler'], {
      cwd: repoRoot,
      env: { ...process.env, APPHUB_S3_ENDPOINT_ULR: 'http://127.0.0.1:9' },
    }).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

    expect(failure?.code).toBe(1);
    expect(failure?.stdout).toBe('');
    expect(failure?.stderr).toMatch(
      /^error: environment is invalid: APPHUB_S3_ENDPOINT_ULR is not a variable of this project[^\n]*\n$/,
    );
  });
});
