import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { assertManifestsCurrent, outdatedManifests, renderManifests } from '../manifests/index.js';
import { repoRoot } from '../stack/paths.js';
import { parseFlags, runCli } from './run-cli.js';

/**
 * `npm run render:manifests` writes the compose files and the minikube overlay from
 * infra/platform.json (and the Flink image's copies of infra/sql); `-- --check` only verifies the committed files and fails when they differ.
 */
runCli(async () => {
  const { flags } = parseFlags(process.argv.slice(2), { check: 'boolean' });
  const rendered = renderManifests();
  if (flags.check === true) {
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
});
