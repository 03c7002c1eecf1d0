import platformJson from '../../../infra/platform.json' with { type: 'json' };
import { parseWith, z } from './schema.js';

const portRange = z.string().regex(/^\d+-\d+$/, 'expected a port range such as 9250-9260');

/**
 * A topic every environment creates and keeps as specified (the topic manager, @apphub/topics):
 * partitions, retention and, in `config`, any other topic-level setting by its Kafka name
 * (`cleanup.policy`, `max.message.bytes`, ...). Retention lives in `retentionMs` only.
 */
const topicSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,249}$/, 'expected a Kafka topic name (1-249 of A-Z, a-z, 0-9, . _ -)'),
  partitions: z.number().int().positive(),
  retentionMs: z.number().int().positive(),
  config: z
    .record(
      z.string().regex(/^[a-z][a-z0-9.]*$/, 'expected a Kafka topic config name such as cleanup.policy'),
      z.string().min(1),
    )
    .refine((config) => !('retention.ms' in config), 'retention.ms is set by retentionMs')
    .optional(),
});

const platformSchema = z.strictObject({
  $comment: z.string().optional(),
  versions: z.strictObject({
    flink: z.string(),
    flinkKafkaConnector: z.string(),
    flinkS3Plugin: z.string(),
    flinkParquet: z.string(),
    hadoopUber: z.string(),
    snappyJava: z.string(),
    kafka: z.string(),
    mskKafka: z.string(),
    log4j: z.string(),
    java: z.string(),
    moto: z.string(),
    supervisor: z.string(),
    pyarrow: z.string(),
    cfnLint: z.string(),
    kubernetesValidate: z.string(),
    redpanda: z.string(),
    minio: z.string(),
    minioSource: z.string(),
    minioClient: z.string(),
    dynamodbLocal: z.string(),
    node: z.string(),
  }),
  /** Why a pin is what it is, where that is not obvious (read by people, not code). */
  versionNotes: z.record(z.string(), z.string()),
  ports: z.strictObject({
    kafka: z.number().int(),
    kafkaTls: z.number().int(),
    kafkaController: z.number().int(),
    flinkRest: z.number().int(),
    sqlGateway: z.number().int(),
    awsEndpoint: z.number().int(),
    minio: z.number().int(),
    minioConsole: z.number().int(),
    jobManagerRpc: z.number().int(),
    blobServer: z.number().int(),
    prometheusJobManager: z.number().int(),
    prometheusSqlGateway: z.number().int(),
    prometheusTaskManagerRange: portRange,
    taskManagerRpcRange: portRange,
    taskManagerDataRange: portRange,
    metricsQueryServiceRange: portRange,
  }),
  topics: z.strictObject({ input: topicSchema, aggregates: topicSchema, deadLetter: topicSchema }),
  storage: z.strictObject({
    checkpointBucket: z.string(),
    dataLakeBucket: z.string(),
    /** The Kafka event sources' on-failure destination (local name; in AWS the stack's own bucket). */
    failedBatchBucket: z.string(),
    watermarkTable: z.string(),
    jobsTable: z.string(),
    savepointsTable: z.string(),
    leasesTable: z.string(),
    autoscaleDecisionsTable: z.string(),
  }),
  /**
   * The native stack's autoscaler: its global settings (the control plane's APPHUB_AUTOSCALE; each job
   * still switches itself on) and how often its reconciler runs the autoscale pass.
   */
  autoscale: z.strictObject({
    native: z.record(z.string(), z.unknown()),
    nativePassIntervalSeconds: z.number().int().positive(),
  }),
  sampleJob: z.strictObject({
    name: z.string(),
    sqlTemplate: z.string(),
    groupId: z.string(),
    watermarkDelaySeconds: z.number().int().nonnegative(),
    sourceIdleTimeoutSeconds: z.number().int().positive(),
  }),
  flink: z.strictObject({
    taskManagers: z.number().int().positive(),
    taskSlots: z.number().int().positive(),
    parallelism: z.number().int().positive(),
    settings: z.record(z.string(), z.string()),
  }),
});

/** The platform's single source of truth, parsed once from infra/platform.json. */
export type Platform = Readonly<z.output<typeof platformSchema>>;

export const platform: Platform = Object.freeze(
  parseWith(platformSchema, platformJson, 'infra/platform.json'),
);
