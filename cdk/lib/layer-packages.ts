import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AppHubError } from '@apphub/platform/settings';

/**
 * Heavy runtime dependencies shipped once in the shared Lambda layer and marked external in every
 * function bundle. Never `@aws-sdk/*`: a layer comes first on the module path and would shadow the
 * runtime's SDK for every function.
 */
export const LAYER_PACKAGES: readonly string[] = ['apache-arrow', 'parquet-wasm', '@platformatic/kafka'];

/** Packages that must never end up in the layer, even as a transitive dependency. */
const FORBIDDEN_PREFIXES = ['@aws-sdk/', '@smithy/'];

/** One package of the layer: where it is installed and its version. */
export interface LayerPackage {
  readonly name: string;
  readonly version: string;
  readonly directory: string;
}

/** A layer package or one of its dependencies is missing or not allowed. */
export class LayerPackageError extends AppHubError {}

/**
 * The runtime dependency closure of `roots` as installed under `nodeModulesDir` (nested
 * node_modules first, as Node resolves them). Type-only packages (`@types/*`) are left out.
 */
export function resolveLayerPackages(
  roots: readonly string[],
  nodeModulesDir: string,
): readonly LayerPackage[] {
  const found = new Map<string, LayerPackage>();
  const visit = (name: string, fromDirectory: string | undefined, requiredBy: string) => {
    if (name.startsWith('@types/')) return;
    if (FORBIDDEN_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      throw new LayerPackageError(
        `layer package ${requiredBy} depends on ${name}, which must not ship in a layer`,
      );
    }
    if (found.has(name)) return;
    const candidates = [
      ...(fromDirectory ? [path.join(fromDirectory, 'node_modules', name)] : []),
      path.join(nodeModulesDir, name),
    ];
    const directory = candidates.find((candidate) => existsSync(path.join(candidate, 'package.json')));
    if (directory === undefined) {
      throw new LayerPackageError(
        `layer package ${name} (needed by ${requiredBy}) is not installed under ${nodeModulesDir}; run npm ci`,
      );
    }
    const manifest = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as {
      version: string;
      dependencies?: Record<string, string>;
    };
    found.set(name, { name, version: manifest.version, directory });
    for (const dependency of Object.keys(manifest.dependencies ?? {})) visit(dependency, directory, name);
  };
  for (const root of roots) visit(root, undefined, 'the layer');
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Copies the packages into `outputDir/nodejs/node_modules`, the path Lambda adds for Node.js layers. */
export function copyLayerPackages(packages: readonly LayerPackage[], outputDir: string): void {
  const target = path.join(outputDir, 'nodejs', 'node_modules');
  mkdirSync(target, { recursive: true });
  for (const layerPackage of packages) {
    cpSync(layerPackage.directory, path.join(target, layerPackage.name), {
      recursive: true,
      filter: (source) => !source.includes(`${path.sep}node_modules${path.sep}@types`),
    });
  }
}
