import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertManifestsCurrent, outdatedManifests, renderManifests } from '../manifests/index.js';
import { repoRoot } from '../stack/paths.js';
import { defineCommand, runCli } from './run-cli.js';

/**
 * `npm run render:manifests` writes the compose files and the minikube overlay from
 * infra/platform.json (and the Flink image's copies of infra/sql); `-- --check` only verifies the committed files and fails when they differ.
 */
export const cli = defineCommand({
  program: 'npm run render:manifests --',
  summary: 'Writes the generated compose files and minikube overlay from infra/platform.json.',
  options: {
    check: { type: 'boolean', description: 'write nothing; fail when a committed file differs' },
  },
  async run({ values }) {
    const rendered = renderManifests();
    if (values.check === true) {
      assertManifestsCurrent(repoRoot, rendered);
      console.log(`${rendered.size} generated files match infra/platform.json`);
      return 0;
    }
    const changed = new Set(outdatedManifests(repoRoot, rendered));
    for (const [file, content] of rendered) {
      if (!changed.has(file)) continue;
      mkdirSync(path.dirname(path.join(repoRoot, file)), { recursive: true });
      writeFileSync(path.join(repoRoot, file), content);
      console.log(`wrote ${file}`);
    }
    console.log(`${rendered.size} generated files, ${changed.size} updated`);
    return 0;
  },
});

runCli(cli, import.meta.url);
