import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigInvalidError, parseLocalEndpoints } from '@apphub/platform';
import { describe, expect, it } from 'vitest';
import {
  decideStreaming,
  StackStreamingDisabledError,
  stackPaths,
  stackUp,
  streamingDisabledMessage,
  streamingRequiredMessage,
} from '../../local/src/stack/index.js';
import { repoRoot } from '../../local/src/stack/paths.js';

const exec = promisify(execFile);
const tsx = path.join(repoRoot, 'node_modules/.bin/tsx');
const scratch = mkdtempSync(path.join(tmpdir(), 'apphub-streaming-flag-'));
const disabled = { APPHUB_STREAMING_ENABLED: '0' };

/** A PATH folder holding only links to `tools` (absolute paths), so a CLI finds nothing else. */
function pathWith(tools: readonly string[]): string {
  const bin = mkdtempSync(path.join(scratch, 'bin-'));
  for (const tool of tools) symlinkSync(tool, path.join(bin, path.basename(tool)));
  return bin;
}

/**
 * Runs a CLI with only node (and `tools`) on PATH: without java, mvn, python3, go or supervisord
 * nothing of the stack can start even if the flag check were gone (the CLI would then fail on
 * its prerequisites instead). The stack folder is a fresh path that must stay absent.
 */
async function runCli(file: string, args: string[], env: NodeJS.ProcessEnv, tools: readonly string[] = []) {
  const stackDir = path.join(mkdtempSync(path.join(scratch, 'stack-')), 'never-created');
  const result = await exec(tsx, [path.join(repoRoot, file), ...args], {
    cwd: repoRoot,
    env: {
      PATH: pathWith([process.execPath, ...tools]),
      HOME: process.env.HOME,
      APPHUB_STACK_DIR: stackDir,
      ...env,
    },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  return { ...result, stackCreated: existsSync(stackDir) };
}

describe('APPHUB_STREAMING_ENABLED: the decision and its one line', () => {
  it('starts the streaming runtime when the flag is unset or 1, and not when it is 0', () => {
    expect(decideStreaming(parseLocalEndpoints({}), 'local:up')).toEqual({ start: true });
    expect(decideStreaming(parseLocalEndpoints({ APPHUB_STREAMING_ENABLED: '1' }), 'local:up')).toEqual({
      start: true,
    });
    expect(decideStreaming(parseLocalEndpoints(disabled), 'local:up')).toEqual({
      start: false,
      message: streamingDisabledMessage('local:up'),
    });
  });

  it('says in one line what the flag did and how to undo it, per environment', () => {
    for (const environment of ['local:up', 'compose', 'minikube'] as const) {
      const message = streamingDisabledMessage(environment);
      expect(message).not.toContain('\n');
      expect(message).toMatch(/^streaming is disabled by APPHUB_STREAMING_ENABLED=0: /);
      expect(message).toContain(`${environment} starts none of the streaming runtime`);
    }
    expect(streamingDisabledMessage('minikube')).toContain('npm run minikube:apply');
  });

  it('rejects a value other than 0 or 1, naming the variable', () => {
    expect(() => parseLocalEndpoints({ APPHUB_STREAMING_ENABLED: 'yes' })).toThrow(ConfigInvalidError);
    expect(() => parseLocalEndpoints({ APPHUB_STREAMING_ENABLED: 'yes' })).toThrow(
      /APPHUB_STREAMING_ENABLED/,
    );
  });

  it('stackUp refuses before installing, writing or starting anything, whoever calls it', async () => {
    const paths = stackPaths(path.join(scratch, 'direct-call'));
    await expect(stackUp({ paths, endpoints: parseLocalEndpoints(disabled) })).rejects.toThrow(
      StackStreamingDisabledError,
    );
    expect(existsSync(paths.stack)).toBe(false);
  });
});

describe.concurrent('APPHUB_STREAMING_ENABLED=0 through the CLIs (they start nothing and bind no port)', () => {
  it('npm run local:up prints the one line on stdout and exits 0', async () => {
    const result = await runCli('local/src/cli/stack.ts', ['up'], disabled);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`${streamingDisabledMessage('local:up')}\n`);
    expect(result.code).toBe(0);
    expect(result.stackCreated).toBe(false);
  });

  it('npm run demo fails in one line saying the flag disables what it needs', async () => {
    const result = await runCli('local/src/cli/demo.ts', [], disabled);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: ${streamingRequiredMessage('npm run demo')}\n`);
    expect(result.stackCreated).toBe(false);
  });

  describe('npm run minikube:apply', () => {
    const kubectl = [whichKubectl()];
    // A kubeconfig whose API server is a closed loopback port: applying anything fails at once.
    const kubeconfig = path.join(scratch, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: closed, cluster: {server: "https://127.0.0.1:9"}}]',
        // A token, so kubectl does not prompt for a user name.
        'users: [{name: nobody, user: {token: unused}}]',
        'contexts: [{name: closed, context: {cluster: closed, user: nobody}}]',
        'current-context: closed',
        '',
      ].join('\n'),
    );

    it('applies nothing with the flag 0: the one line, exit 0, kubectl never asked', async () => {
      const result = await runCli(
        'local/src/cli/minikube-apply.ts',
        [],
        { ...disabled, KUBECONFIG: kubeconfig },
        kubectl,
      );
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe(`${streamingDisabledMessage('minikube')}\n`);
      expect(result.code).toBe(0);
    });

    it('runs kubectl apply -k infra/minikube otherwise (here it cannot reach a cluster: the check can fail)', async () => {
      const result = await runCli('local/src/cli/minikube-apply.ts', [], { KUBECONFIG: kubeconfig }, kubectl);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('127.0.0.1:9');
      expect(result.stderr).toMatch(/error: kubectl apply -k infra\/minikube failed \(exit \d+\)/);
    });
  });
});

/** kubectl's absolute path on the test's own PATH, linked into the CLI's reduced PATH. */
function whichKubectl(): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (existsSync(path.join(dir, 'kubectl'))) return path.join(dir, 'kubectl');
  }
  throw new Error(
    'kubectl is not on PATH: the minikube overlay tests need it (see README, Docker compose and minikube)',
  );
}
