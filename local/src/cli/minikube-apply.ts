import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseLocalEndpoints } from '@apphub/platform';
import { ManifestApplyFailedError, minikubeDir } from '../manifests/index.js';
import { decideStreaming } from '../stack/index.js';
import { repoRoot } from '../stack/paths.js';
import { defineCommand, runCli } from './run-cli.js';

/**
 * `npm run minikube:apply`: `kubectl apply -k infra/minikube` unless APPHUB_STREAMING_ENABLED=0, which
 * applies nothing and says so in one line. kustomize cannot read the environment, so the flag lives here.
 */
export const cli = defineCommand({
  program: 'npm run minikube:apply --',
  summary: `Applies the minikube overlay (kubectl apply -k ${minikubeDir}); nothing with APPHUB_STREAMING_ENABLED=0.`,
  details: () =>
    'kubectl uses its current context (kubectl config use-context minikube); its output and exit code are passed through.',
  options: {},
  async run() {
    const decision = decideStreaming(parseLocalEndpoints(), 'minikube');
    if (!decision.start) {
      console.log(decision.message);
      return 0;
    }
    const overlay = path.join(repoRoot, minikubeDir);
    const result = spawnSync('kubectl', ['apply', '-k', overlay], { stdio: 'inherit' });
    if (result.error) {
      throw new ManifestApplyFailedError(
        `kubectl apply -k ${minikubeDir} could not run: ${result.error.message}`,
        {
          cause: result.error,
        },
      );
    }
    if (result.status !== 0) {
      throw new ManifestApplyFailedError(
        `kubectl apply -k ${minikubeDir} failed (exit ${result.status ?? result.signal}); see kubectl's output above`,
      );
    }
    return 0;
  },
});

runCli(cli, import.meta.url);
