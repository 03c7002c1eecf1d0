import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../local/src/stack/paths.js';

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

/** The package a resolved URL belongs to, or undefined outside node_modules. */
function packageOf(url: string): string | undefined {
  return /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
}

/**
 * `cdk synth` (cdk.json's app, run by tsx) reads descriptors, table names and
 * settings, never the runtime. The app and every module under cdk/lib are loaded the way tsx
 * loads them (tsconfig paths), with the streaming flag off so nothing is synthesized, and every
 * resolution is recorded.
 */
describe('the CDK app loads no runtime package', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'apphub-light-imports-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('resolves @apphub subpaths to light modules and loads only the CDK packages', async () => {
    const log = path.join(scratch, 'resolutions.log');
    const modules = [
      path.join(repoRoot, 'cdk/bin/app.ts'),
      ...readdirSync(path.join(repoRoot, 'cdk/lib'), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .map((file) => path.join(repoRoot, 'cdk/lib', file)),
    ];
    const script = [
      "import { register } from 'node:module';",
      "import { pathToFileURL } from 'node:url';",
      `register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(RECORD_RESOLUTIONS)}`)}, { data: { log: ${JSON.stringify(log)} } });`,
      `for (const file of ${JSON.stringify(modules)}) await import(pathToFileURL(file).href);`,
    ].join('\n');
    await exec(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
      cwd: repoRoot,
      env: { ...process.env, APPHUB_STREAMING_ENABLED: '0', CDK_OUTDIR: path.join(scratch, 'cdk.out') },
    });
    const resolutions = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [importer = '', specifier = '', url = ''] = line.split(' ');
        return { importer, specifier, url };
      });
    const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const runtimePackages = Object.keys(manifest.dependencies).filter((name) => !CDK_PACKAGES.has(name));

    // Each step into a runtime package, named by the module that took it.
    const isRuntime = (url: string) => runtimePackages.includes(packageOf(url) ?? '');
    const offending = resolutions
      .filter(({ importer, url }) => isRuntime(url) && !isRuntime(importer))
      .map(
        ({ importer, specifier }) =>
          `${path.relative(repoRoot, new URL(importer).pathname)} imports ${specifier}`,
      );
    expect(offending).toEqual([]);
    // And the app was really loaded, through the light entry points.
    const loaded = new Set(resolutions.map(({ url }) => packageOf(url)));
    expect(loaded).toContain('aws-cdk-lib');
    expect(resolutions).toContainEqual(
      expect.objectContaining({
        specifier: '@apphub/platform/settings',
        url: expect.stringMatching(/\/layers\/platform\/src\/settings\.ts$/),
      }),
    );
    expect(runtimePackages).toEqual(
      expect.arrayContaining(['parquet-wasm', '@aws-sdk/client-s3', 'kafkajs']),
    );
  }, 60_000);
});
