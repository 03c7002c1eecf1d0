import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../local/src/stack/paths.js';

/**
 * docs/architecture.md walks one record and one job through the modules, naming each file once.
 * A path it names that no longer exists (a moved or renamed module) fails here. Bare file names are
 * resolved against the folder of the last full path named before them, as the text reads.
 */
describe('docs/architecture.md', () => {
  const text = readFileSync(path.join(repoRoot, 'docs/architecture.md'), 'utf8');
  const names = [...text.matchAll(/`([\w./-]+\.(?:ts|java|sql|json)|[\w-]+(?:\/[\w.-]+)+\/)`/g)].map(
    (match) => match[1]!,
  );

  it('names only files and folders that exist', () => {
    let folder = '';
    const missing: string[] = [];
    for (const name of names) {
      const full = name.includes('/') ? name : path.join(folder, name);
      if (name.includes('/')) folder = name.endsWith('/') ? name : path.dirname(name);
      if (!existsSync(path.join(repoRoot, full))) missing.push(full);
    }
    expect(names.length).toBeGreaterThan(60);
    expect(missing).toEqual([]);
  });

  it('names each file once', () => {
    const paths = names.filter((name) => name.includes('/') && !name.endsWith('/'));
    expect(paths.filter((name, index) => paths.indexOf(name) !== index)).toEqual([]);
  });
});
