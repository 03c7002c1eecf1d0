import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../local/src/stack/paths.js';
import { exportsOf, layerPackages, readManifest } from '../support/workspaces.js';

const exec = promisify(execFile);

/** Runtime dependencies the CDK app needs itself; every other one belongs to the Lambdas and the local stack. */
const CDK_PACKAGES = new Set(['aws-cdk-lib', 'constructs', 'yaml', 'zod']);

/**
 * A module resolve hook (module.register, run off-thread) that appends every resolution as one
 * `<importer> <specifier> <url>` line to the file it is given. Synchronous writes, so the file is
 * complete once the import that caused them has finished.
 */
const RECORD_RESOLUTIONS = `
import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, context.parentURL + ' ' + specifier + ' ' + result.url + '\\n');
  return result;
}`;

interface Resolution {
  readonly importer: string;
  readonly specifier: string;
  readonly url: string;
}

/** The package a resolved URL belongs to, or undefined outside node_modules. */
function packageOf(url: string): string | undefined {
  return /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
}

/** A URL or path as a path relative to the repository root. */
function relative(url: string): string {
  return path.relative(repoRoot, url.startsWith('file:') ? fileURLToPath(url) : url);
}

/**
 * The layers' entry points as their exports maps declare them. A subpath export is a light entry
 * point: it loads no runtime package and reaches other layers only through their light entry points,
 * so the CDK app, which reads descriptors, table names and settings, may import it. The `.` export
 * is the whole package, runtime included.
 */
const entries = layerPackages().flatMap(exportsOf);
const lightSpecifiers = new Set(entries.filter(({ light }) => light).map(({ specifier }) => specifier));
const fullEntryFiles = new Set(entries.filter(({ light }) => !light).map(({ file }) => file));
const runtimePackages = Object.keys(readManifest('.').dependencies ?? {}).filter(
  (name) => !CDK_PACKAGES.has(name),
);

/**
 * Imports `modules` (specifiers or file URLs) in a fresh Node.js the way `cdk synth` runs the app
 * (tsx, streaming flag off so nothing is synthesized) and returns every module resolution made.
 */
async function recordResolutions(
  scratch: string,
  modules: readonly string[],
): Promise<readonly Resolution[]> {
  const log = path.join(scratch, `resolutions-${Date.now()}.log`);
  const script = [
    "import { register } from 'node:module';",
    `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(RECORD_RESOLUTIONS)}`)}, { data: { log: ${JSON.stringify(log)} } });`,
    `for (const module of ${JSON.stringify(modules)}) await import(module);`,
  ].join('\n');
  await exec(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
    cwd: repoRoot,
    env: { ...process.env, APPHUB_STREAMING_ENABLED: '0', CDK_OUTDIR: path.join(scratch, 'cdk.out') },
  });
  return readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [importer = '', specifier = '', url = ''] = line.split(' ');
      return { importer, specifier, url };
    });
}

/** Each step into a runtime package, named by the module that took it. */
function runtimeSteps(resolutions: readonly Resolution[]): readonly string[] {
  const isRuntime = (url: string) => runtimePackages.includes(packageOf(url) ?? '');
  return resolutions
    .filter(({ importer, url }) => isRuntime(url) && !isRuntime(importer))
    .map(({ importer, specifier }) => `${relative(importer)} imports ${specifier}`);
}

/** Each load of a layer's whole package (its `.` export), named by the module that took it. */
function fullEntrySteps(resolutions: readonly Resolution[]): readonly string[] {
  return resolutions
    .filter(({ url }) => url.startsWith('file:') && fullEntryFiles.has(relative(url)))
    .map(({ importer, specifier }) => `${relative(importer)} imports ${specifier}`);
}

describe('the CDK app loads only the light entry points of the layers', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'apphub-light-imports-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('each subpath export loads no runtime package and no layer through its whole package', async () => {
    expect([...lightSpecifiers]).toEqual(
      expect.arrayContaining(['@apphub/platform/settings', '@apphub/microbatcher/dataset']),
    );
    const resolutions = await recordResolutions(scratch, [...lightSpecifiers]);
    expect(runtimeSteps(resolutions)).toEqual([]);
    expect(fullEntrySteps(resolutions)).toEqual([]);
    // Each export really was loaded from its source, through the exports map.
    for (const specifier of lightSpecifiers) {
      const file = entries.find((entry) => entry.specifier === specifier)?.file;
      expect(resolutions.map(({ specifier, url }) => `${specifier} ${url}`)).toContain(
        `${specifier} ${pathToFileURL(path.join(repoRoot, file!)).href}`,
      );
    }
  }, 60_000);

  it('the app and every module under cdk/lib import the layers only through subpath exports', async () => {
    const modules = [
      path.join(repoRoot, 'cdk/bin/app.ts'),
      ...readdirSync(path.join(repoRoot, 'cdk/lib'), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .map((file) => path.join(repoRoot, 'cdk/lib', file)),
    ].map((file) => pathToFileURL(file).href);
    const resolutions = await recordResolutions(scratch, modules);
    const layerImports = resolutions.filter(({ specifier }) => specifier.startsWith('@apphub/'));
    expect(
      layerImports
        .filter(({ specifier }) => !lightSpecifiers.has(specifier))
        .map(({ importer, specifier }) => `${relative(importer)} imports ${specifier}`),
    ).toEqual([]);
    expect(fullEntrySteps(resolutions)).toEqual([]);
    expect(runtimeSteps(resolutions)).toEqual([]);
    // And the app was really loaded, through the light entry points.
    expect(new Set(resolutions.map(({ url }) => packageOf(url)))).toContain('aws-cdk-lib');
    expect(layerImports.map(({ specifier }) => specifier)).toContain('@apphub/platform/settings');
    expect(runtimePackages).toEqual(
      expect.arrayContaining(['parquet-wasm', '@aws-sdk/client-s3', '@platformatic/kafka']),
    );
  }, 60_000);
});
