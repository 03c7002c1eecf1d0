import { createHash } from 'node:crypto';
import path from 'node:path';
import { platform } from '@apphub/platform/settings';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { copyLayerPackages, LAYER_PACKAGES, resolveLayerPackages } from '../layer-packages.js';

export interface RuntimeLayerProps {
  /** Repository root: the layer is built from its layers/ folder and its installed node_modules. */
  readonly projectRoot: string;
  readonly runtime: lambda.Runtime;
  readonly architecture: lambda.Architecture;
}

/**
 * The shared layer: the heavy runtime packages (LAYER_PACKAGES and their dependencies) copied from
 * the installed node_modules at synth time, without Docker. Function bundles mark the same packages
 * external, so each is deployed once. The asset hash is the list of package versions, so an
 * unchanged lockfile gives an unchanged layer.
 */
export class RuntimeLayer extends Construct {
  readonly layer: lambda.LayerVersion;
  /** Module names function bundles must leave external because the layer provides them. */
  readonly externalModules: readonly string[] = LAYER_PACKAGES;

  constructor(scope: Construct, id: string, props: RuntimeLayerProps) {
    super(scope, id);
    const packages = resolveLayerPackages(LAYER_PACKAGES, path.join(props.projectRoot, 'node_modules'));
    const fingerprint = createHash('sha256')
      .update(packages.map((layerPackage) => `${layerPackage.name}@${layerPackage.version}`).join('\n'))
      .digest('hex');
    this.layer = new lambda.LayerVersion(this, 'Layer', {
      description: `AppHub streaming runtime: ${packages.map((p) => `${p.name}@${p.version}`).join(', ')}`,
      compatibleRuntimes: [props.runtime],
      compatibleArchitectures: [props.architecture],
      code: lambda.Code.fromAsset(path.join(props.projectRoot, 'layers'), {
        assetHash: fingerprint,
        assetHashType: AssetHashType.CUSTOM,
        bundling: {
          // Never used: local bundling always succeeds; Docker is only the CDK's required fallback.
          image: DockerImage.fromRegistry(`public.ecr.aws/docker/library/node:${platform.versions.node}`),
          local: {
            tryBundle(outputDir: string): boolean {
              copyLayerPackages(packages, outputDir);
              return true;
            },
          },
        },
      }),
    });
  }
}
