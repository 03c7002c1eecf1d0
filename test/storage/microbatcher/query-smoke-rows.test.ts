import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseDatasetDescriptor, processKafkaEvent } from '@apphub/microbatcher';
import { SMOKE_ID_PREFIX } from '@apphub/smoke';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../local/src/stack/index.js';
import { testDescriptorInput } from '../../support/kafka-records.js';
import { aggregate, base, iso, minute, mskEvent, testContext } from './harness.js';

const exec = promisify(execFile);
const query = (args: string[], datasets: unknown[]) =>
  exec(
    path.join(repoRoot, 'node_modules/.bin/tsx'),
    [path.join(repoRoot, 'local/src/cli/query.ts'), ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, TIMESTORE_STREAMING_BATCHERS: JSON.stringify(datasets) },
    },
  );

describe('npm run query and smoke rows', () => {
  it("leaves the smoke test's rows out unless --include-smoke asks for them, and says how many", async () => {
    // Prepare: a real user's aggregate and a smoke run's in one window of a dataset of our own.
    const input = testDescriptorInput({}, 'it-query-smoke');
    const descriptor = parseDatasetDescriptor(input);
    const dataset = descriptor.dataset;
    const { context } = testContext([descriptor]);
    const smokeUser = `${SMOKE_ID_PREFIX}20261129-100000-beef-p0-u0`;
    await processKafkaEvent(
      context,
      mskEvent([
        aggregate(descriptor.topic, 0, 0, 'u-001', 0, 2),
        aggregate(descriptor.topic, 0, 1, smokeUser, 0, 5),
      ]),
    );
    const range = ['--dataset', dataset, '--from', iso(base), '--to', iso(base + minute), '--json'];

    // Act
    const plain = await query(range, [input]);
    const all = await query([...range, '--include-smoke'], [input]);

    // Assess
    const users = (stdout: string) =>
      stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { user_id: string }).user_id);
    expect(users(plain.stdout)).toEqual(['u-001']);
    expect(plain.stderr).toMatch(
      /^1 rows \(0 sealed, 1 hot\).*; 1 smoke rows left out \(--include-smoke shows them\)$/m,
    );
    expect(users(all.stdout).sort()).toEqual(['u-001', smokeUser].sort());
    expect(all.stderr).not.toMatch(/left out/);
  });
});
