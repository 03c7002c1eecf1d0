import path from 'node:path';
import { platform } from '@apphub/platform/settings';
import { IgnoreMode } from 'aws-cdk-lib';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';

/** Where and how the Flink image is built: a build context and the asset options for it. */
export interface FlinkImageAsset {
  /** The build context: infra/, so the image copies the SQL templates from infra/sql, their one home. */
  readonly directory: string;
  readonly options: ecrAssets.DockerImageAssetOptions;
}

/**
 * The Flink image from `imageDirectory` (infra/flink-image). The context is its parent folder, but
 * only the Dockerfile, flink-format/ and sql/ go into it: the asset hash (the image tag, hence the task
 * definitions) then changes only when the image would, and a change to platform.json or the
 * minikube manifests does not replace the running Flink tasks. Versions reach the image as build
 * args, which are part of the hash too.
 */
export function flinkImageAsset(imageDirectory: string): FlinkImageAsset {
  return {
    directory: path.resolve(imageDirectory, '..'),
    options: {
      file: `${path.basename(imageDirectory)}/Dockerfile`,
      // Docker ignore rules: everything, except the recipe, the format sources and SQL templates it copies.
      ignoreMode: IgnoreMode.DOCKER,
      exclude: ['*', `!${path.basename(imageDirectory)}/Dockerfile`, '!flink-format', '!sql'],
      platform: ecrAssets.Platform.LINUX_AMD64,
      buildArgs: {
        FLINK_VERSION: platform.versions.flink,
        KAFKA_CONNECTOR_VERSION: platform.versions.flinkKafkaConnector,
      },
    },
  };
}
