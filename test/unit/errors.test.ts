import { readdirSync } from 'node:fs';
import path from 'node:path';
import { AppHubError } from '@apphub/platform';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../local/src/stack/paths.js';

type ErrorClass = new (...args: never[]) => Error;

/** The TypeScript modules of a package's source folder, recursively. */
function modulesOf(sourceDir: string): string[] {
  return readdirSync(sourceDir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => path.join(sourceDir, file));
}

/** Every class deriving from Error that a module exports. */
async function exportedErrors(file: string): Promise<ErrorClass[]> {
  const module = (await import(file)) as Record<string, unknown>;
  return Object.values(module).filter(
    (value): value is ErrorClass => typeof value === 'function' && value.prototype instanceof Error,
  );
}

/** The project's packages: each layer, and the local tools. */
const packages = [
  ...readdirSync(path.join(repoRoot, 'layers')).map((name) => path.join('layers', name, 'src')),
  path.join('local', 'src'),
];

describe("every package's errors", () => {
  it.each(packages)('in %s derive from the one base its errors.ts declares', async (sourceDir) => {
    const modules = modulesOf(path.join(repoRoot, sourceDir));
    const own = new Set((await Promise.all(modules.map(exportedErrors))).flat());
    own.delete(AppHubError);
    const bases = [...own].filter((error) => Object.getPrototypeOf(error) === AppHubError);
    const declared = modules.includes(path.join(repoRoot, sourceDir, 'errors.ts'))
      ? await exportedErrors(path.join(repoRoot, sourceDir, 'errors.ts'))
      : [];

    if (own.size === 0) return;
    expect(
      bases.map((base) => base.name),
      'exactly one class extends AppHubError directly',
    ).toHaveLength(1);
    expect(declared, `${bases[0]!.name} lives in errors.ts`).toContain(bases[0]);
    for (const error of own) {
      const derives = error === bases[0] || error.prototype instanceof bases[0]!;
      expect(derives, `${error.name} derives from ${bases[0]!.name}`).toBe(true);
      expect(error.name).toMatch(/^[A-Z][A-Za-z]+Error$/);
    }
  });

  it('carry their cause and are named after their class', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:4566');

    const error = new AppHubError('cannot read the jobs table', { cause });

    expect(error.cause).toBe(cause);
    expect(error.name).toBe('AppHubError');
  });
});
