import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../local/src/stack/paths.js';

/**
 * The README is where a newcomer starts: its first commands are the demo and the tests, CI runs the
 * same test command, and every npm script a user can run is named there.
 */
describe('README.md', () => {
  const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
  const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const commands = firstBlock
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line !== '');

  it('starts with the two commands: the demo and the tests', () => {
    expect(commands).toEqual(['npm ci && npm run demo', 'npm ci && npm test']);
  });

  it('is what .ci/run runs: npm ci, then npm test', () => {
    const ci = readFileSync(path.join(repoRoot, '.ci/run'), 'utf8').split('\n');
    const install = ci.findIndex((line) => /^npm ci\b/.test(line));
    const test = ci.findIndex((line) => line.trim() === 'npm test');
    expect(install).toBeGreaterThanOrEqual(0);
    expect(test).toBeGreaterThan(install);
  });

  it('names every npm script a user runs', () => {
    const { scripts } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    // pre- and post- scripts run by themselves around the script they name.
    const userScripts = Object.keys(scripts).filter(
      (name) => !/^(pre|post)/.test(name) || !(name.replace(/^(pre|post)/, '') in scripts),
    );
    const named = (name: string) =>
      readme.includes(`npm run ${name}`) || (name === 'test' && readme.includes('npm test'));
    expect(userScripts.length).toBeGreaterThan(20);
    expect(userScripts.filter((name) => !named(name))).toEqual([]);
  });
});
