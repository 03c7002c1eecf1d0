import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { submitSql } from '@apphub/control-plane';
import { FlinkSqlError, FlinkUnreachableError, SqlTemplateVariableMissingError } from '@apphub/flink';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../local/src/stack/index.js';
import { localPlane, uniqueName } from './harness.js';

const exec = promisify(execFile);

/** Runs `npm run flink -- <args>` as a user would, returning exit code and output. */
function flinkCli(args: readonly string[], env: Record<string, string> = {}) {
  return exec(
    path.join(repoRoot, 'node_modules/.bin/tsx'),
    [path.join(repoRoot, 'local/src/cli/flink.ts'), ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, ...env },
    },
  ).then(
    (result) => ({ code: 0, stdout: result.stdout, stderr: result.stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

/** The CLI's own error line (the AWS SDK may print a Node version warning on stderr too). */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('error: '));
}

describe('control-plane errors on the real cluster', () => {
  const plane = localPlane();

  it("rejects bad SQL with Flink's root cause and records nothing", async () => {
    const jobName = uniqueName('it-cp-bad-sql');

    const error = await submitSql(plane, {
      jobName,
      sqlTemplate: 'INSERT INTO no_such_table SELECT 1;',
    }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(FlinkSqlError);
    expect((error as Error).message).toMatch(/no_such_table/);
    expect((error as Error).message).not.toMatch(/\n|\tat |Exception/);
    expect(await plane.jobs.get(jobName)).toBeUndefined();
  });

  it('names every missing template variable before contacting anything', async () => {
    const offline = localPlane({
      APPHUB_FLINK_REST_URL: 'http://127.0.0.1:1',
      APPHUB_SQL_GATEWAY_URL: 'http://127.0.0.1:1',
    });

    await expect(
      submitSql(offline, {
        jobName: 'it-cp-missing',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: SQL template placeholders, not a JS template
        sqlTemplate: "SELECT '${A}', '${B}'",
        variables: { A: 'a' },
      }),
    ).rejects.toThrow(new SqlTemplateVariableMissingError(['B']).message);
  });

  it('says in one line which Flink endpoint is unreachable', async () => {
    const offline = localPlane({
      APPHUB_FLINK_REST_URL: 'http://127.0.0.1:1',
      APPHUB_SQL_GATEWAY_URL: 'http://127.0.0.1:1',
    });

    const error = await submitSql(offline, {
      jobName: uniqueName('it-cp-down'),
      sqlTemplate: 'INSERT INTO a SELECT 1',
    }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(FlinkUnreachableError);
    expect((error as Error).message).toBe('Flink JobManager REST API not reachable at http://127.0.0.1:1');
  });

  it('answers an unknown job with one clear line and a non-zero exit from the CLI', async () => {
    const jobName = uniqueName('it-cp-unknown');

    const [savepoint, restore, usage] = await Promise.all([
      flinkCli(['savepoint', jobName]),
      flinkCli(['restore', jobName, '--from', 'file:///tmp/nothing']),
      flinkCli(['savepoint']),
    ]);

    expect(savepoint.code).toBe(1);
    expect(errorLines(savepoint.stderr)).toEqual([
      `error: no running Flink job named ${jobName}; see npm run flink -- jobs`,
    ]);
    expect(restore.code).toBe(1);
    expect(errorLines(restore.stderr)).toEqual([
      `error: ${jobName} is not managed by the control plane, so its SQL is unknown here; submit it with its own tool (e.g. npm run submit:sample -- --from-savepoint file:///tmp/nothing)`,
    ]);
    expect(usage.code).toBe(1);
    expect(errorLines(usage.stderr)).toEqual([
      'error: savepoint takes one <job> argument, got 0; see npm run flink -- savepoint --help',
    ]);
  });

  it('reports an unreachable JobManager from the CLI in one line naming it and how to start it', async () => {
    const result = await flinkCli(['status'], { APPHUB_FLINK_REST_URL: 'http://127.0.0.1:1' });

    expect(result.code).toBe(1);
    expect(errorLines(result.stderr)).toEqual([
      'error: the Flink JobManager REST API at http://127.0.0.1:1 is not answering: start the local stack with npm run local:up',
    ]);
  });
});
