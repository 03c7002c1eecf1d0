import { readdirSync, readFileSync } from 'node:fs';
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
    // One at a time: concurrent first imports of one module can evaluate it twice (two classes).
    const own = new Set<ErrorClass>();
    for (const file of modules) for (const error of await exportedErrors(file)) own.add(error);
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

  it('of Lambda code (layers, functions) name no command of the local tools: the CLIs add those', () => {
    const lambdaSources = [...packages.filter((dir) => dir.startsWith('layers')), 'functions'].flatMap(
      (dir) => modulesOf(path.join(repoRoot, dir)),
    );
    const comment = /^\s*(\/\/|\/?\*)/;

    const commands = lambdaSources.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => !comment.test(line) && /npm run|local:up/.test(line))
        .map((line) => `${path.relative(repoRoot, file)}: ${line.trim()}`),
    );

    expect(lambdaSources.length).toBeGreaterThan(50);
    expect(commands).toEqual([]);
  });

  it('carry their cause and are named after their class', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:4566');

    const error = new AppHubError('cannot read the jobs table', { cause });

    expect(error.cause).toBe(cause);
    expect(error.name).toBe('AppHubError');
  });
});
