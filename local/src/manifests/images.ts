import { LOCAL_AWS_CREDENTIALS, platform } from '@apphub/platform';

const versions = platform.versions;

/**
 * Every container image the compose stack and the minikube overlay run, pinned by the versions in
 * infra/platform.json (never `latest`). The Flink image is built from infra/flink-image.
 */
export const images = Object.freeze({
  flinkBase: `flink:${versions.flink}-java${versions.java}`,
  flink: `apphub-streaming/flink:${versions.flink}-kafka-${versions.flinkKafkaConnector}`,
  redpanda: `docker.redpanda.com/redpandadata/redpanda:${versions.redpanda}`,
  minio: `quay.io/minio/minio:${versions.minio}`,
  minioClient: `quay.io/minio/mc:${versions.minioClient}`,
  moto: `motoserver/moto:${versions.moto}`,
  node: `node:${versions.node}-bookworm-slim`,
});

/** The Flink image's build context (relative to the repository root); the CDK builds the same folder. */
export const flinkImageDir = 'infra/flink-image';
/** The image's build context: infra/, so its Dockerfile copies infra/sql without a second copy. */
export const flinkImageContext = 'infra';
export const flinkImageDockerfile = 'flink-image/Dockerfile';

/** Build arguments of infra/flink-image/Dockerfile, from infra/platform.json. */
export const flinkImageBuildArgs = Object.freeze({
  FLINK_VERSION: versions.flink,
  JAVA_VERSION: versions.java,
  KAFKA_CONNECTOR_VERSION: versions.flinkKafkaConnector,
});

/**
 * MinIO's root user in the local mirrors: the same local-only credentials as the native stack, so the
 * project's AWS clients (awsClientSettings) reach every local S3 alike. Never used outside a local stack.
 */
export const minioDemoCredentials = Object.freeze({
  user: LOCAL_AWS_CREDENTIALS.accessKeyId,
  password: LOCAL_AWS_CREDENTIALS.secretAccessKey,
});
