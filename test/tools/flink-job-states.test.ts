import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { flinkJobStateSchema, isTerminal } from '@apphub/flink';
import { platform } from '@apphub/platform';
import { describe, expect, it } from 'vitest';
import { stackPaths } from '../../local/src/stack/paths.js';

const version = platform.versions.flink;
const jars = path.join(stackPaths().jars, 'flink');
const classpath = [`flink-core-${version}.jar`, `flink-core-api-${version}.jar`]
  .map((jar) => path.join(jars, jar))
  .join(path.delimiter);

/**
 * Each constant of `org.apache.flink.api.common.JobStatus` with its TerminalState (NON_TERMINAL,
 * LOCALLY, GLOBALLY), read from the bytecode of the enum's static initialiser in the pinned jar.
 */
function jobStatusOfJar(): Map<string, string> {
  const javap = spawnSync('javap', ['-c', '-p', '-cp', classpath, 'org.apache.flink.api.common.JobStatus'], {
    encoding: 'utf8',
  });
  expect(javap.status, javap.stderr).toBe(0);
  const constants = javap.stdout.matchAll(
    /\/\/ String (\w+)\n(?:.*\n){0,2}?\s+\d+: getstatic\s+#\d+\s+\/\/ Field org\/apache\/flink\/api\/common\/JobStatus\$TerminalState\.(\w+)/g,
  );
  return new Map(Array.from(constants, (match) => [match[1]!, match[2]!]));
}

describe(`Flink job states against Flink ${version}'s JobStatus`, () => {
  it('list every state of the enum, and are terminal exactly where JobStatus.isTerminalState() is', () => {
    // npm test resolves the jars first (npm run setup); a missing jar is a failure, not a skip.
    expect(existsSync(path.join(jars, `flink-core-${version}.jar`)), 'run npm run setup').toBe(true);

    const ofJar = jobStatusOfJar();

    expect([...ofJar.keys()].sort()).toEqual([...flinkJobStateSchema.options].sort());
    for (const state of flinkJobStateSchema.options) {
      expect(isTerminal(state), state).toBe(ofJar.get(state) !== 'NON_TERMINAL');
    }
    // SUSPENDED is the one locally terminal state: terminal here, although not globally.
    expect([...ofJar].filter(([, terminal]) => terminal === 'LOCALLY')).toEqual([['SUSPENDED', 'LOCALLY']]);
  });
});
