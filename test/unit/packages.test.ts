import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../local/src/stack/paths.js';
import { exportsOf, layerPackages, readManifest, workspaces } from '../support/workspaces.js';

/** Folders holding the project's TypeScript. */
const SOURCE_ROOTS = ['bench', 'cdk', 'functions', 'layers', 'local', 'test'];

/** The .ts files under a folder (relative to the repository root), installed packages left out. */
function typeScriptFiles(directory: string): readonly string[] {
  return readdirSync(path.join(repoRoot, directory), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.split(path.sep).includes('node_modules'))
    .map((file) => path.join(directory, file));
}

/**
 * A module specifier in a statement that starts a line (imports, type imports and re-exports,
 * `from` ending the statement as the formatter writes it), a side-effect import, or a dynamic import.
 */
const SPECIFIER =
  /^[ \t]*(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]|^[ \t]*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Every module specifier a file names: imports, type imports, re-exports and dynamic imports. */
function specifiersOf(file: string): readonly string[] {
  const text = readFileSync(path.join(repoRoot, file), 'utf8');
  return [...text.matchAll(SPECIFIER)].map((match) => match[1] ?? match[2] ?? match[3] ?? '');
}

/** The package a bare specifier names, or undefined for a relative path or a Node.js builtin. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || builtinModules.includes(specifier)) {
    return undefined;
  }
  return /^(@[^/]+\/[^/]+|[^/]+)/.exec(specifier)?.[1];
}

describe('the layer packages', () => {
  const layers = layerPackages();

  it('are private ES module packages named after their folder, exporting TypeScript sources', () => {
    expect(layers.map(({ directory }) => directory)).toEqual(
      readdirSync(path.join(repoRoot, 'layers')).map((name) => `layers/${name}`),
    );
    for (const layer of layers) {
      const { name, private: isPrivate, type, exports = {} } = layer.manifest;
      expect({ name, isPrivate, type, main: exports['.'] }).toEqual({
        name: `@apphub/${path.basename(layer.directory)}`,
        isPrivate: true,
        type: 'module',
        main: './src/index.ts',
      });
      for (const entry of exportsOf(layer)) {
        expect(entry.file, entry.specifier).toMatch(/^layers\/[\w-]+\/src\/[\w-]+\.ts$/);
        expect(existsSync(path.join(repoRoot, entry.file)), entry.file).toBe(true);
      }
    }
  });

  it('depend on each other without a cycle', () => {
    const dependsOn = new Map(
      layers.map(({ manifest }) => [
        manifest.name,
        Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith('@apphub/')),
      ]),
    );
    // Depth first; a step back onto the current trail closes a cycle.
    const cycles: string[] = [];
    const done = new Set<string>();
    const visit = (name: string, trail: readonly string[]) => {
      if (trail.includes(name)) {
        cycles.push([...trail.slice(trail.indexOf(name)), name].join(' -> '));
        return;
      }
      if (done.has(name)) return;
      for (const next of dependsOn.get(name) ?? []) visit(next, [...trail, name]);
      done.add(name);
    };
    for (const name of dependsOn.keys()) visit(name, []);
    expect(cycles).toEqual([]);
    // The graph really has edges: a layer on the platform, the control plane on Flink.
    expect(dependsOn.get('@apphub/control-plane')).toEqual(
      expect.arrayContaining(['@apphub/flink', '@apphub/platform']),
    );
  });

  it('are reached only through their exports: no relative path into a layer from outside it', () => {
    const offending: string[] = [];
    for (const file of SOURCE_ROOTS.flatMap(typeScriptFiles)) {
      const owner = /^layers\/[\w-]+\//.exec(file)?.[0];
      for (const specifier of specifiersOf(file).filter((name) => name.startsWith('.'))) {
        const target = path.relative(repoRoot, path.resolve(repoRoot, path.dirname(file), specifier));
        const targetLayer = /^layers\/[\w-]+\//.exec(`${target}/`)?.[0];
        // A layer reads the platform file every environment reads; nothing else outside its folder.
        const leavesOwner = owner !== undefined && !target.startsWith(owner) && !target.startsWith('infra/');
        const entersLayer = targetLayer !== undefined && targetLayer !== owner;
        if (leavesOwner || entersLayer) offending.push(`${file} imports ${specifier}`);
      }
    }
    expect(offending).toEqual([]);
  });
});

describe('every workspace', () => {
  it('declares exactly the packages its sources import, at the versions the root installs', () => {
    const root = readManifest('.');
    const installed = { ...root.devDependencies, ...root.dependencies };
    const names = new Set(workspaces().map(({ manifest }) => manifest.name));
    for (const { directory, manifest } of workspaces()) {
      const imported = new Set(
        typeScriptFiles(directory)
          .flatMap(specifiersOf)
          .map(packageOf)
          .filter((name): name is string => name !== undefined && name !== manifest.name),
      );
      const expected = Object.fromEntries(
        [...imported].sort().map((name) => [name, names.has(name) ? '*' : installed[name]]),
      );
      expect(manifest.dependencies ?? {}, directory).toEqual(expected);
    }
  });
});
