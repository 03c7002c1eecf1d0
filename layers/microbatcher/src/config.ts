import { createAwsClients, parseEnvironment, z } from '@apphub/platform';
import { createWatermarkStore, type WatermarkStore } from '@apphub/watermarks';
import { type DatasetDescriptor, parseBatcherDescriptors } from './descriptor.js';
import { type Lake, S3Lake } from './lake.js';

/** The micro-batcher's environment; other variables (AWS_*, LOG_LEVEL) belong to the runtime. */
const environmentSchema = z.strictObject({
  TIMESTORE_STREAMING_BATCHERS: z.string({ error: 'is required (JSON array of dataset descriptors)' }),
  APPHUB_DATA_LAKE_BUCKET: z.string({ error: 'is required' }).min(3),
  APPHUB_WATERMARK_TABLE: z.string({ error: 'is required' }).min(3),
  APPHUB_AWS_ENDPOINT_URL: z.url().optional(),
  APPHUB_S3_ENDPOINT_URL: z.url().optional(),
});

export interface BatcherConfig {
  readonly descriptors: readonly DatasetDescriptor[];
  readonly bucket: string;
  readonly table: string;
  /** DynamoDB endpoint; only set locally (moto); in AWS the SDK finds its endpoints. */
  readonly awsEndpointUrl?: string | undefined;
  /** S3 endpoint; only set locally (MinIO). */
  readonly s3EndpointUrl?: string | undefined;
}

/**
 * Parses the environment once (at cold start); errors are one line naming the variable and field,
 * and an APPHUB_* name the project does not know is refused, as in every process.
 */
export function parseBatcherConfig(env: NodeJS.ProcessEnv = process.env): BatcherConfig {
  const parsed = parseEnvironment(environmentSchema, env, 'micro-batcher environment');
  return Object.freeze({
    descriptors: parseBatcherDescriptors(parsed.TIMESTORE_STREAMING_BATCHERS),
    bucket: parsed.APPHUB_DATA_LAKE_BUCKET,
    table: parsed.APPHUB_WATERMARK_TABLE,
    awsEndpointUrl: parsed.APPHUB_AWS_ENDPOINT_URL,
    s3EndpointUrl: parsed.APPHUB_S3_ENDPOINT_URL,
  });
}

/** The lake and watermark store for `config`, with the endpoints it names (the local stack's) or AWS's. */
export function createBatcherStorage(
  config: Pick<BatcherConfig, 'bucket' | 'table' | 'awsEndpointUrl' | 's3EndpointUrl'>,
): {
  lake: Lake;
  store: WatermarkStore;
} {
  const clients = createAwsClients(config);
  return {
    lake: new S3Lake(clients.s3, config.bucket),
    store: createWatermarkStore(clients.documents, config.table),
  };
}
