import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { datasetRoot, processKafkaEvent, sealDueWindows } from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../local/src/stack/paths.js';
import { aggregate, mskEvent } from '../../support/kafka-records.js';
import { fakeBatcherContext, fakeDescriptor } from '../fakes/batcher-context.js';

/**
 * docs/architecture.md walks one record and one job through the modules. It must name only paths
 * that exist, every module of the layers and functions (so new code gets a place in it), and the
 * sealing outputs a seal really writes. Bare file names are resolved against the folder of the last
 * full path named before them, as the text reads; a `*` stands for any one path segment.
 */
describe('docs/architecture.md', () => {
  const text = readFileSync(path.join(repoRoot, 'docs/architecture.md'), 'utf8');
  const names = [...text.matchAll(/`([\w./*-]+\.(?:ts|java|sql|json)|[\w*-]+(?:\/[\w.*-]+)+\/)`/g)].map(
    (match) => match[1]!,
  );
  const resolved = resolveNames(names);

  it('names only files and folders that exist', () => {
    const missing = resolved.filter((name) => name.matches.length === 0).map((name) => name.path);
    expect(names.length).toBeGreaterThan(60);
    expect(missing).toEqual([]);
  });

  it('names every module of layers/*/src and functions/*', () => {
    const named = new Set(resolved.flatMap((name) => name.matches));
    const modules = [
      ...expandGlob('layers/*/src').flatMap((folder) => filesUnder(folder)),
      ...expandGlob('functions/*').flatMap((folder) => filesUnder(folder)),
    ].filter((file) => /\.(ts|json)$/.test(file));
    expect(modules.length).toBeGreaterThan(100);
    expect(modules.filter((module) => !named.has(module))).toEqual([]);
  });

  it("lists the outputs one seal writes, by key folder and count, as the sealer's keys show", async () => {
    // Prepare: the doc's table of sealing outputs, and one window of three users, each in its own cell.
    const documented = sealingOutputs(text);
    const descriptor = fakeDescriptor({ partitionKeys: ['user_id'] });
    const { context, lake, clock } = fakeBatcherContext([descriptor]);
    const users = ['u-001', 'u-002', 'u-003'];
    await processKafkaEvent(
      context,
      mskEvent(users.map((user, offset) => aggregate(descriptor.topic, 0, offset, user, 0, offset + 1))),
    );
    const before = new Set(lake.keys());

    // Act: the partition goes idle, so the pass treats the input as complete and seals the window.
    clock.now += 2 * 60 * 60_000;
    const summary = await sealDueWindows(context, descriptor);

    // Assess: every key the seal added, counted by the folder under the dataset root.
    const written: Record<string, number> = {};
    for (const key of lake.keys().filter((key) => !before.has(key))) {
      const folder = `${key.slice(datasetRoot(descriptor).length + 1).split('/')[0]}/`;
      written[folder] = (written[folder] ?? 0) + 1;
    }
    expect(summary.windowsSealed).toBe(1);
    expect(written).toEqual(
      Object.fromEntries(
        documented.map((output) => [output.folder, output.perCell ? users.length : 1] as const),
      ),
    );
  });
});

interface ResolvedName {
  readonly path: string;
  /** Existing files and folders the name stands for (several for a glob). */
  readonly matches: readonly string[];
}

function resolveNames(names: readonly string[]): ResolvedName[] {
  let folder = '';
  return names.map((name) => {
    const full = name.includes('/') ? name.replace(/\/$/, '') : path.posix.join(folder, name);
    if (name.includes('/')) folder = name.endsWith('/') ? full : path.posix.dirname(full);
    return { path: full, matches: expandGlob(full) };
  });
}

/** Paths under the repository that match `pattern`, where `*` matches one whole segment. */
function expandGlob(pattern: string): string[] {
  let paths = [''];
  for (const segment of pattern.split('/')) {
    paths = paths.flatMap((parent) => {
      if (segment !== '*') {
        const child = path.posix.join(parent, segment);
        return existsSync(path.join(repoRoot, child)) ? [child] : [];
      }
      const folder = path.join(repoRoot, parent);
      if (!existsSync(folder) || !statSync(folder).isDirectory()) return [];
      return readdirSync(folder)
        .filter((entry) => entry !== 'node_modules')
        .map((entry) => path.posix.join(parent, entry));
    });
  }
  return paths;
}

function filesUnder(folder: string): string[] {
  return readdirSync(path.join(repoRoot, folder), { withFileTypes: true }).flatMap((entry) => {
    const child = path.posix.join(folder, entry.name);
    if (entry.name === 'node_modules') return [];
    return entry.isDirectory() ? filesUnder(child) : [child];
  });
}

/** The rows of the "sealing output" table: the key folder and whether there is one per cell. */
function sealingOutputs(text: string): { folder: string; perCell: boolean }[] {
  const start = text.indexOf('| sealing output |');
  expect(start, 'the table of sealing outputs').toBeGreaterThan(0);
  const rows = text
    .slice(start)
    .split('\n')
    .slice(2)
    .map((line) => line.trim())
    .filter((_, index, lines) => lines.slice(0, index + 1).every((line) => line.startsWith('|')));
  return rows.map((row) => {
    const [, , folder, count] = row.split('|').map((cell) => cell.trim());
    expect(count, row).toMatch(/^one( per partition-key cell)?$/);
    return { folder: folder!.replace(/`/g, ''), perCell: count !== 'one' };
  });
}
