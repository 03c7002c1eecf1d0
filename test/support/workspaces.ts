import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../local/src/stack/paths.js';

/** The fields of a package.json the package tests read. */
export interface PackageManifest {
  readonly name: string;
  readonly version?: string;
  readonly private?: boolean;
  readonly type?: string;
  readonly workspaces?: readonly string[];
  readonly exports?: Readonly<Record<string, string>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
}

/** One npm workspace: its folder relative to the repository root and its manifest. */
export interface Workspace {
  readonly directory: string;
  readonly manifest: PackageManifest;
}

/** A package entry point: the specifier that imports it and the source file it points to. */
export interface PackageExport {
  readonly specifier: string;
  /** Path relative to the repository root. */
  readonly file: string;
  /** A subpath export (`@apphub/<name>/<subpath>`): a light entry point, loading no runtime. */
  readonly light: boolean;
}

/** Reads a package.json relative to the repository root. */
export function readManifest(directory: string): PackageManifest {
  return JSON.parse(readFileSync(path.join(repoRoot, directory, 'package.json'), 'utf8')) as PackageManifest;
}

/** The workspaces of the root package.json, `layers/*` expanded, in folder order. */
export function workspaces(): readonly Workspace[] {
  return (readManifest('.').workspaces ?? [])
    .flatMap((pattern) =>
      pattern.endsWith('/*')
        ? readdirSync(path.join(repoRoot, pattern.slice(0, -2)), { withFileTypes: true })
            .filter((entry) => entry.isDirectory())
            .map((entry) => path.join(pattern.slice(0, -2), entry.name))
        : [pattern],
    )
    .sort()
    .map((directory) => ({ directory, manifest: readManifest(directory) }));
}

/** The layer packages: the workspaces under layers/. */
export function layerPackages(): readonly Workspace[] {
  return workspaces().filter(({ directory }) => directory.startsWith('layers/'));
}

/** Every entry point of a workspace's exports map. */
export function exportsOf({ directory, manifest }: Workspace): readonly PackageExport[] {
  return Object.entries(manifest.exports ?? {}).map(([subpath, target]) => ({
    specifier: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.replace(/^\.\//, '')}`,
    file: path.join(directory, target),
    light: subpath !== '.',
  }));
}
