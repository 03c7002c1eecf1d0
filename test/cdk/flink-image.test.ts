import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { flinkImageAsset } from '../../cdk/lib/flink-image.js';
import { FLINK_IMAGE_DIRECTORY } from '../../cdk/lib/streaming-app.js';

/** A copy of infra/ that a test may edit. */
let infra: string;
beforeEach(() => {
  infra = mkdtempSync(path.join(tmpdir(), 'apphub-infra-'));
  cpSync(path.dirname(FLINK_IMAGE_DIRECTORY), infra, { recursive: true });
});
afterEach(() => rmSync(infra, { recursive: true, force: true }));

/** The asset hash CDK gives the Flink image built from the copy: a new hash is a new image tag. */
function imageHash(): string {
  const asset = flinkImageAsset(path.join(infra, path.basename(FLINK_IMAGE_DIRECTORY)));
  const stack = new Stack(new App(), 'Image');
  return new ecrAssets.DockerImageAsset(stack, 'Flink', { directory: asset.directory, ...asset.options })
    .assetHash;
}

/** Files of a directory tree, relative to it. */
function filesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(directory, path.join(entry.parentPath, entry.name)))
    .sort();
}

describe('the Flink image asset', () => {
  // The image tag in the task definitions is the asset hash: a new hash means new task definitions
  // and every Flink task replaced (the running jobs with them). The hash covers the build context
  // after exclusions, the Dockerfile and the build args:
  // https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_ecr_assets.DockerImageAssetProps.html
  it('does not change when a file the image does not use changes', () => {
    const before = imageHash();

    appendFileSync(path.join(infra, 'platform.json'), '\n');
    writeFileSync(path.join(infra, 'minikube', 'flink-config.yaml'), '# edited\n', { flag: 'a' });
    writeFileSync(path.join(infra, 'NOTES.md'), 'a new file beside the image recipe\n');

    expect(imageHash()).toBe(before);
  });

  it('changes when the Dockerfile or an SQL template changes', () => {
    const before = imageHash();
    appendFileSync(path.join(infra, 'flink-image', 'Dockerfile'), '\n# edited\n');
    const afterDockerfile = imageHash();
    appendFileSync(path.join(infra, 'sql', 'tumbling-window.sql'), '\n-- edited\n');
    const afterSql = imageHash();
    writeFileSync(path.join(infra, 'sql', 'another-job.sql'), 'SELECT 1;\n');

    expect(afterDockerfile).not.toBe(before);
    expect(afterSql).not.toBe(afterDockerfile);
    expect(imageHash()).not.toBe(afterSql);
  });

  it("stages only the Dockerfile, the format's sources and the SQL templates as the build context", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'apphub-image-'));
    try {
      const app = new App({ outdir });
      const asset = flinkImageAsset(FLINK_IMAGE_DIRECTORY);
      new ecrAssets.DockerImageAsset(new Stack(app, 'Image'), 'Flink', {
        directory: asset.directory,
        ...asset.options,
      });
      const assembly = app.synth();
      const staged = readdirSync(assembly.directory).find((entry) => entry.startsWith('asset.'));

      expect(filesUnder(path.join(assembly.directory, staged!))).toEqual(
        [
          'flink-image/Dockerfile',
          ...filesUnder(path.join(infra, 'flink-format')).map((file) => `flink-format/${file}`),
          ...readdirSync(path.join(infra, 'sql')).map((file) => `sql/${file}`),
        ].sort(),
      );
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
