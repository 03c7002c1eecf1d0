import { type ControlPlane, createControlPlane, parseControlPlaneConfig } from '@apphub/control-plane';
import { createLogger, type Logger } from '@apphub/observability';
import { type LocalEndpoints, parseLocalEndpoints, platform, s3SnapshotDirectories } from '@apphub/platform';
import { jobKafka } from '../sample/targets.js';

/**
 * The control-plane functions' environment, pointed at the local stack: the same variables the CDK
 * stack gives the Lambdas, with the local endpoints, the checkpoint bucket on MinIO, and Kafka's TLS
 * listener with the local CA for the jobs it submits.
 */
export function localControlPlaneEnv(
  endpoints: LocalEndpoints = parseLocalEndpoints(),
): Record<string, string> {
  const { savepointDir, checkpointDir } = s3SnapshotDirectories(platform.storage.checkpointBucket);
  const kafka = jobKafka('native', endpoints);
  return {
    APPHUB_FLINK_REST_URL: endpoints.flinkRestUrl,
    APPHUB_SQL_GATEWAY_URL: endpoints.sqlGatewayUrl,
    APPHUB_JOBS_TABLE: platform.storage.jobsTable,
    APPHUB_SAVEPOINTS_TABLE: platform.storage.savepointsTable,
    APPHUB_LEASES_TABLE: platform.storage.leasesTable,
    APPHUB_AUTOSCALE: endpoints.autoscale,
    APPHUB_AUTOSCALE_DECISIONS_TABLE: platform.storage.autoscaleDecisionsTable,
    APPHUB_SAVEPOINT_DIR: savepointDir,
    APPHUB_CHECKPOINT_DIR: checkpointDir,
    APPHUB_KAFKA_BOOTSTRAP_SERVERS: kafka.bootstrapServers,
    APPHUB_KAFKA_SECURITY: JSON.stringify(kafka.security),
    APPHUB_AWS_ENDPOINT_URL: endpoints.awsEndpointUrl,
    APPHUB_S3_ENDPOINT_URL: endpoints.s3EndpointUrl,
  };
}

/** The control plane wired to the local stack: the Lambdas' logic with local endpoints and storage. */
export function localControlPlane(
  options: { logger?: Logger; endpoints?: LocalEndpoints } = {},
): ControlPlane {
  const config = parseControlPlaneConfig(localControlPlaneEnv(options.endpoints));
  // Logs go to stderr as JSON (LOG_LEVEL=debug for more); stdout carries a command's answer.
  const logger =
    options.logger ??
    createLogger('flink-cli', { level: 'warn', sink: (line) => process.stderr.write(`${line}\n`) });
  // No metrics: they are for CloudWatch, and stdout carries the command's answer.
  return createControlPlane(config, { logger });
}
