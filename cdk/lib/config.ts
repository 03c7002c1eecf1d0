import { autoscaleSettingsSchema } from '@apphub/control-plane/autoscale-settings';
import {
  type DatasetDescriptor,
  type DatasetDescriptorInput,
  EVENT_SOURCE_SETTING_NAMES,
  eventSourceSettingsSchema,
  MINIMUM_OUTAGE_RIDE_OUT_SECONDS,
  OUTAGE_RESERVE_SECONDS,
  outageRideOutSeconds,
  parseDescriptorList,
  sampleBatcherDescriptor,
} from '@apphub/microbatcher/dataset';
import { ConfigInvalidError, parseWith, platform, tables, z } from '@apphub/platform/settings';
import { fargateSizeProblem } from './fargate-sizes.js';

/** Every app option is a CDK context key with this prefix (cdk.json `context` or `cdk synth -c apphub:x=y`). */
export const CONTEXT_PREFIX = 'apphub:';

/** The enable flag: the environment variable wins over the context key of the same name. */
export const ENABLE_FLAG = 'APPHUB_STREAMING_ENABLED';

const hostPortList = /^[^\s,:]+:\d+$/;

/** The message of a field's invalid_type issue when the field is missing, for fields a group requires. */
const required = (message: string) => ({
  error: (issue: { readonly input?: unknown }) => (issue.input === undefined ? message : undefined),
});

/** The message of a strict group's unrecognized_keys issue: why those options do not apply there. */
const onlyValid = (message: string) => ({
  error: (issue: { readonly code?: string }) => (issue.code === 'unrecognized_keys' ? message : undefined),
});

/** A list given as a JSON array in cdk.json or as a comma-separated string with `-c`. */
const stringList = (missing = 'expected a list') =>
  z.preprocess(
    (value) =>
      typeof value === 'string'
        ? value
            .split(',')
            .map((item) => item.trim())
            .filter((item) => item.length > 0)
        : value,
    z.array(z.string().min(1), required(missing)),
  );

/** Numbers given with `-c` arrive as strings. */
const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** A structured option: JSON in cdk.json, or a JSON string with `-c` (a string that is not JSON stays as it is). */
const fromJson = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => {
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }, schema);

/** The keys of the platform's DynamoDB tables (`tables` of @apphub/platform). */
export type TableKey = keyof typeof tables;
const tableKeys = Object.keys(tables) as [TableKey, ...TableKey[]];

/** S3 bucket naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
const bucketName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (3-63 of a-z, 0-9, . and -)');

/** DynamoDB table names: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html */
const existingTables = fromJson(
  z.partialRecord(
    z.enum(tableKeys),
    z
      .string()
      .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'expected a DynamoDB table name (3-255 of A-Z, a-z, 0-9, _ . -)'),
  ),
);

/** A private DNS name: labels of letters, digits and inner dashes. */
const dnsName = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

/** Log retention periods CloudWatch accepts (days). */
const logRetentionDays = z.coerce
  .number()
  .refine(
    (days) =>
      [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653].includes(days),
    'expected a CloudWatch retention period such as 7, 30, 90 or 365',
  );

/**
 * The Kafka version names MSK accepts for a new cluster of Standard brokers. Up to 4.0.x they are
 * the versions of https://docs.aws.amazon.com/msk/latest/developerguide/supported-kafka-versions.html
 * (versions past their end of support left out). 4.1.x.kraft is offered by MSK's API (MSK released it
 * on 2025-10-15; `KafkaVersion.V4_1_X_KRAFT` of @aws-cdk/aws-msk-alpha) but is not on that page yet, so
 * it is accepted and not the default. 4.2.x.kraft is for Express brokers only. `.kraft` selects KRaft
 * metadata mode, the only mode of Kafka 4:
 * https://docs.aws.amazon.com/msk/latest/developerguide/metadata-management.html#kraft-intro
 */
export const MSK_KAFKA_VERSIONS = [
  '3.8.x',
  '3.8.x.kraft',
  '3.9.x',
  '3.9.x.kraft',
  '4.0.x.kraft',
  '4.1.x.kraft',
] as const;

/**
 * The default is `versions.mskKafka` of the platform file (4.0.x.kraft: the newest version on MSK's
 * supported-versions page, cited in its versionNotes), checked against the list too.
 */
const mskKafkaVersion = z
  .string()
  .default(platform.versions.mskKafka)
  .pipe(
    z.enum(MSK_KAFKA_VERSIONS, {
      message: `expected an MSK version name, one of ${MSK_KAFKA_VERSIONS.join(', ')}`,
    }),
  );

/**
 * Availability zones an environment-agnostic stack spreads a created VPC over (two Fn::GetAZs
 * picks): https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.Stack.html#availabilityzones
 */
const AGNOSTIC_ZONES = 2;

/** The deployment's name when `stackPrefix` is not set. */
export const DEFAULT_STACK_PREFIX = 'AppHubStreaming';

/** `stackPrefix`: also read by `npm run batcher`, which derives its consumer groups from it. */
export const stackPrefixSchema = z
  .string()
  .regex(
    /^[A-Za-z]([A-Za-z0-9-]{0,39}[A-Za-z0-9])?$/,
    'expected 1-41 letters, digits and inner dashes, starting with a letter',
  )
  .default(DEFAULT_STACK_PREFIX);

/**
 * `microBatcherTimeoutSeconds`: Kafka event source mappings accept functions with timeouts up to 14
 * minutes. Also read by `npm run batcher`, whose invocations get the same time.
 */
export const microBatcherTimeoutSchema = integer(10, 840).default(300);

/**
 * Sizes a deployment starts from; an option set explicitly wins over its profile, and a profile's
 * option that does not apply (an MSK size with existing brokers) is left out. `dev` keeps the
 * least running that still has every component: MSK's smallest Standard broker type (kafka.t3.small,
 * https://docs.aws.amazon.com/msk/latest/developerguide/broker-instance-sizes.html) on small volumes,
 * one TaskManager, one NAT gateway. docs/deploy.md lists what each keeps running and its cost.
 */
export const PROFILES = Object.freeze({
  default: Object.freeze({}),
  dev: Object.freeze({
    mskInstanceType: 'kafka.t3.small',
    mskVolumeSizeGiB: 10,
    taskManagerCount: 1,
    natGateways: 1,
  }),
} as const);

export type ProfileName = keyof typeof PROFILES;

const profileSchema = z
  .enum(Object.keys(PROFILES) as [ProfileName, ...ProfileName[]], {
    message: `expected a profile, one of ${Object.keys(PROFILES).join(', ')}`,
  })
  .default('default');

const accountAndRegion = 'set account and region together (or neither, for environment-agnostic templates)';

/** Account and region, both or neither. */
const environmentSchema = z.strictObject({
  account: z.string(required(accountAndRegion)).regex(/^\d{12}$/, 'expected a 12-digit AWS account id'),
  region: z
    .string(required(accountAndRegion))
    .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'expected an AWS Region such as eu-west-1'),
});

const importedVpcNeeds = 'an imported VPC needs vpcId, vpcAvailabilityZones and vpcPrivateSubnetIds together';

/** The VPC: one the stack creates, or an imported one, chosen by whether any vpcId/vpc* option of an import is set. */
const vpcSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('created'),
    maxAzs: integer(2, 6).default(2),
    natGateways: integer(1, 6).default(1),
  }),
  z
    .strictObject(
      {
        kind: z.literal('imported'),
        id: z
          .string(required(importedVpcNeeds))
          .regex(/^vpc-[0-9a-f]+$/, 'expected a VPC id such as vpc-0abc123'),
        availabilityZones: stringList(importedVpcNeeds),
        privateSubnetIds: stringList(importedVpcNeeds),
      },
      onlyValid('only valid for a VPC the stack creates (not with vpcId)'),
    )
    .refine((vpc) => vpc.availabilityZones.length === vpc.privateSubnetIds.length, {
      path: ['privateSubnetIds'],
      message: 'expected one private subnet per availability zone',
    }),
]);

const secretArn = z
  .string(required('required with kafkaSecurityProtocol SASL_SSL (the SASL/SCRAM-SHA-512 credentials)'))
  .regex(/^arn:aws[\w-]*:secretsmanager:/, 'expected a Secrets Manager secret ARN');

/**
 * How existing brokers are reached: SASL_SSL with its secret, or PLAINTEXT without (the default
 * follows the secret). https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-configure.html lists the
 * event source's ways to reach self-managed Kafka: SASL/SCRAM or SASL/PLAIN over TLS, mTLS, or the
 * VPC alone, so TLS without SASL is not offered.
 */
const existingKafkaSecuritySchema = z.preprocess(
  (value) => {
    const given = (value ?? {}) as { protocol?: unknown; secretArn?: unknown };
    if (typeof given !== 'object' || given.protocol !== undefined) return value;
    return { ...given, protocol: given.secretArn === undefined ? 'PLAINTEXT' : 'SASL_SSL' };
  },
  z.discriminatedUnion(
    'protocol',
    [
      z.strictObject(
        { protocol: z.literal('PLAINTEXT') },
        onlyValid('only valid with kafkaSecurityProtocol SASL_SSL'),
      ),
      z.strictObject({ protocol: z.literal('SASL_SSL'), secretArn }),
    ],
    {
      error: (issue) =>
        (issue.input as { protocol?: unknown } | undefined)?.protocol === 'SSL'
          ? "SSL without SASL is not offered: Lambda's self-managed Kafka event source authenticates with SASL/SCRAM (SASL_SSL, with kafkaSecretArn) or reaches plaintext brokers through the VPC (PLAINTEXT)"
          : 'expected PLAINTEXT or SASL_SSL',
    },
  ),
);

/** Kafka: an MSK cluster the stack creates, or existing brokers. */
const kafkaSchema = z.discriminatedUnion(
  'mode',
  [
    z.strictObject(
      {
        mode: z.literal('msk'),
        brokerNodes: integer(2, 30).default(2),
        instanceType: z
          .string()
          .regex(/^kafka\.[a-z0-9]+\.[a-z0-9]+$/, 'expected an MSK instance type such as kafka.m7g.large')
          .default('kafka.m7g.large'),
        volumeSizeGiB: integer(1, 16384).default(100),
        kafkaVersion: mskKafkaVersion,
      },
      onlyValid(
        'only valid when kafkaMode is existing (MSK brokers come from the created cluster, reached over TLS)',
      ),
    ),
    z.strictObject(
      {
        mode: z.literal('existing'),
        bootstrapServers: stringList('required when kafkaMode is existing').pipe(
          z.array(z.string().regex(hostPortList, 'expected host:port')),
        ),
        security: existingKafkaSecuritySchema,
      },
      onlyValid('only valid when kafkaMode is msk (existing brokers are not created by the stack)'),
    ),
  ],
  { error: 'expected "msk" or "existing"' },
);

/** The micro-batcher function, its event source mapping and its datasets. */
const microBatcherSchema = z
  .strictObject({
    // The event source mapping's settings: one schema with the local runner (npm run batcher).
    eventSource: eventSourceSettingsSchema.prefault({}),
    // Dataset descriptors as written; parseAppConfig parses them with the micro-batcher's parser.
    batchers: fromJson(z.array(z.record(z.string(), z.unknown()))).default(() => [
      { ...sampleBatcherDescriptor },
    ]),
    sealScheduleMinutes: integer(1, 60).default(5),
    memoryMiB: integer(128, 10_240).default(1024),
    timeoutSeconds: microBatcherTimeoutSchema,
  })
  .superRefine((microBatcher, context) => {
    const rideOut = outageRideOutSeconds(microBatcher.eventSource, microBatcher.timeoutSeconds);
    if (rideOut < MINIMUM_OUTAGE_RIDE_OUT_SECONDS) {
      context.addIssue({
        code: 'custom',
        path: ['eventSource', 'retryAttempts'],
        message: `a batch would ride out only ${rideOut} s of S3 or DynamoDB outage before going to the on-failure destination ((1 + retryAttempts) x (microBatcherTimeoutSeconds - ${OUTAGE_RESERVE_SECONDS} s)); raise retryAttempts or microBatcherTimeoutSeconds to cover at least ${MINIMUM_OUTAGE_RIDE_OUT_SECONDS} s`,
      });
    }
  });

/** A Fargate task's CPU units (one of `cpus`) and memory; checkFargateSize checks the pair. */
const fargateSize = <const Cpus extends readonly [number, ...number[]]>(
  cpus: Cpus,
  defaults: { readonly cpu: Cpus[number]; readonly memoryMiB: number },
  maxMemoryMiB: number,
) => ({
  cpu: z.coerce.number().pipe(z.literal(cpus)).default(defaults.cpu),
  memoryMiB: integer(1024, maxMemoryMiB).default(defaults.memoryMiB),
});

/** Refuses a CPU and memory pair Fargate does not run (fargate-sizes.ts). */
function checkFargateSize(
  task: { readonly cpu: number; readonly memoryMiB: number },
  context: z.RefinementCtx,
) {
  const problem = fargateSizeProblem(task.cpu, task.memoryMiB);
  if (problem) context.addIssue({ code: 'custom', path: ['memoryMiB'], message: problem });
}

/** The Flink cluster on ECS: its three services and what they share. */
const flinkSchema = z.strictObject({
  jobManager: z
    .strictObject(fargateSize([512, 1024, 2048, 4096], { cpu: 1024, memoryMiB: 2048 }, 30_720))
    .superRefine(checkFargateSize)
    .prefault({}),
  taskManager: z
    .strictObject({
      ...fargateSize([512, 1024, 2048, 4096, 8192, 16384], { cpu: 1024, memoryMiB: 4096 }, 122_880),
      count: integer(1, 100).default(platform.flink.taskManagers),
      maxCount: integer(1, 100).optional(),
    })
    .superRefine(checkFargateSize)
    .superRefine((taskManager, context) => {
      if (taskManager.maxCount !== undefined && taskManager.maxCount < taskManager.count) {
        context.addIssue({
          code: 'custom',
          path: ['maxCount'],
          message: `expected taskManagerCount (${taskManager.count}) <= taskManagerMaxCount (${taskManager.maxCount})`,
        });
      }
    })
    // Most TaskManagers a rescale may run: twice the configured count unless set.
    .transform((taskManager) => ({ ...taskManager, maxCount: taskManager.maxCount ?? 2 * taskManager.count }))
    .prefault({}),
  sqlGateway: z
    .strictObject(fargateSize([256, 512, 1024, 2048], { cpu: 512, memoryMiB: 2048 }, 16_384))
    .superRefine(checkFargateSize)
    .prefault({}),
  checkpointInterval: z
    .string()
    .regex(/^\d+\s*(ms|s|min|h)$/, 'expected e.g. "1 min", "30 s"')
    .optional(),
  serviceDiscoveryNamespace: z
    .string()
    .regex(dnsName, 'expected a private DNS name such as apphubstreaming.internal')
    .optional(),
});

/** Savepoints: how often, how many and how long the history keeps them, and the bucket's safety net. */
const savepointsSchema = z
  .strictObject({
    scheduleMinutes: integer(1, 1440).default(60),
    maxCount: integer(1, 1000).default(10),
    maxAgeHours: integer(1, 24 * 365).default(24),
    expirationDays: integer(1, 3650).default(30),
  })
  .superRefine((savepoints, context) => {
    if (savepoints.expirationDays * 24 <= savepoints.maxAgeHours) {
      context.addIssue({
        code: 'custom',
        path: ['expirationDays'],
        message: 'the bucket lifecycle must keep savepoints longer than savepointMaxAgeHours',
      });
    }
  });

const controlPlaneSchema = z.strictObject({
  reconcileScheduleMinutes: integer(1, 60).default(5),
  // The autoscaler's global settings (docs/control-plane.md#settings); each job still switches itself on.
  autoscale: fromJson(autoscaleSettingsSchema).default(() => autoscaleSettingsSchema.parse({})),
  reservedConcurrency: z.union([z.boolean(), z.stringbool()]).default(false),
});

/** Buckets and tables: retained ones to use instead of created ones, lifecycle rules and the Glue projection. */
const storageSchema = z.strictObject({
  existingCheckpointBucket: bucketName.optional(),
  existingDataLakeBucket: bucketName.optional(),
  existingTables: existingTables.optional(),
  // Failed batches (whole invocation records) are kept this long; replayed ones 30 days.
  failedBatchExpirationDays: integer(1, 3650).default(365),
  deadLetterExpirationDays: integer(1, 3650).default(90),
  checkpointExpirationDays: integer(1, 3650).default(14),
  sealedHotPartExpirationDays: integer(1, 3650).default(7),
  lakehouseProjectionStart: z.iso
    .datetime({ message: 'expected an ISO-8601 UTC time such as 2026-01-01T00:00:00Z' })
    .default('2026-01-01T00:00:00Z'),
});

const logsSchema = z.strictObject({
  retentionDays: logRetentionDays.default(30),
  level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

const alarmsSchema = z.strictObject({
  staleWatermarkSeconds: integer(60, 86_400).default(900),
  // OffsetLag (records behind the topic's end) that, held for 15 minutes, raises the alarm.
  offsetLagRecords: integer(1, 100_000_000).default(10_000),
  jobRestartsThreshold: integer(1, 1000).default(3),
  checkpointDurationSeconds: integer(1, 86_400).default(60),
  recordsLagThreshold: integer(1, 1_000_000_000).default(10_000),
  busyTimePercent: integer(10, 100).default(90),
  topicArn: z
    .string()
    .regex(/^arn:aws[\w-]*:sns:/, 'expected an SNS topic ARN')
    .optional(),
});

/**
 * The options, nested: each group checks its own rules, and the two choices (which VPC, which Kafka)
 * are unions, so an option of the other choice is refused by the group's shape.
 */
const optionsSchema = z
  .strictObject({
    profile: profileSchema,
    stackPrefix: stackPrefixSchema,
    environment: environmentSchema.optional(),
    vpc: vpcSchema,
    kafka: kafkaSchema,
    microBatcher: microBatcherSchema.prefault({}),
    flink: flinkSchema.prefault({}),
    savepoints: savepointsSchema.prefault({}),
    controlPlane: controlPlaneSchema.prefault({}),
    storage: storageSchema.prefault({}),
    logs: logsSchema.prefault({}),
    alarms: alarmsSchema.prefault({}),
  })
  .superRefine((options, context) => {
    const { vpc, kafka } = options;
    if (vpc.kind === 'created' && options.environment === undefined && vpc.maxAzs > AGNOSTIC_ZONES) {
      context.addIssue({
        code: 'custom',
        path: ['vpc', 'maxAzs'],
        message: `an environment-agnostic deployment has ${AGNOSTIC_ZONES} availability zones; set account and region to use more`,
      });
    }
    const zones = vpc.kind === 'imported' ? vpc.availabilityZones.length : vpc.maxAzs;
    if (kafka.mode === 'msk' && kafka.brokerNodes % zones !== 0) {
      context.addIssue({
        code: 'custom',
        path: ['kafka', 'brokerNodes'],
        message: `MSK needs the same number of brokers in each of the ${zones} availability zones`,
      });
    }
  });

/** Which side of a union an option belongs to; options of the other side are refused. */
type OptionBranch =
  | { readonly group: 'vpc'; readonly is: 'created' | 'imported' }
  | { readonly group: 'kafka'; readonly is: 'msk' | 'existing' };

const CREATED_VPC: OptionBranch = { group: 'vpc', is: 'created' };
const IMPORTED_VPC: OptionBranch = { group: 'vpc', is: 'imported' };
const MSK: OptionBranch = { group: 'kafka', is: 'msk' };
const EXISTING_KAFKA: OptionBranch = { group: 'kafka', is: 'existing' };

/** Where a flat option (`apphub:<name>`) goes in the nested options, and the branch it needs. */
interface OptionPlace {
  readonly path: readonly [string, ...string[]];
  readonly branch?: OptionBranch;
}

/** Every option as users write it, in the order docs/deploy.md lists them, and its place in the nested options. */
const OPTIONS: Readonly<Record<string, OptionPlace>> = Object.freeze({
  profile: { path: ['profile'] },
  stackPrefix: { path: ['stackPrefix'] },
  account: { path: ['environment', 'account'] },
  region: { path: ['environment', 'region'] },
  vpcId: { path: ['vpc', 'id'], branch: IMPORTED_VPC },
  vpcAvailabilityZones: { path: ['vpc', 'availabilityZones'], branch: IMPORTED_VPC },
  vpcPrivateSubnetIds: { path: ['vpc', 'privateSubnetIds'], branch: IMPORTED_VPC },
  vpcMaxAzs: { path: ['vpc', 'maxAzs'], branch: CREATED_VPC },
  natGateways: { path: ['vpc', 'natGateways'], branch: CREATED_VPC },
  kafkaMode: { path: ['kafka', 'mode'] },
  kafkaBootstrapServers: { path: ['kafka', 'bootstrapServers'], branch: EXISTING_KAFKA },
  kafkaSecretArn: { path: ['kafka', 'security', 'secretArn'], branch: EXISTING_KAFKA },
  kafkaSecurityProtocol: { path: ['kafka', 'security', 'protocol'], branch: EXISTING_KAFKA },
  mskBrokerNodes: { path: ['kafka', 'brokerNodes'], branch: MSK },
  mskInstanceType: { path: ['kafka', 'instanceType'], branch: MSK },
  mskVolumeSizeGiB: { path: ['kafka', 'volumeSizeGiB'], branch: MSK },
  mskKafkaVersion: { path: ['kafka', 'kafkaVersion'], branch: MSK },
  ...Object.fromEntries(
    EVENT_SOURCE_SETTING_NAMES.map((name) => [name, { path: ['microBatcher', 'eventSource', name] }]),
  ),
  failedBatchExpirationDays: { path: ['storage', 'failedBatchExpirationDays'] },
  offsetLagAlarmRecords: { path: ['alarms', 'offsetLagRecords'] },
  batchers: { path: ['microBatcher', 'batchers'] },
  sealScheduleMinutes: { path: ['microBatcher', 'sealScheduleMinutes'] },
  microBatcherMemoryMiB: { path: ['microBatcher', 'memoryMiB'] },
  microBatcherTimeoutSeconds: { path: ['microBatcher', 'timeoutSeconds'] },
  serviceDiscoveryNamespace: { path: ['flink', 'serviceDiscoveryNamespace'] },
  existingCheckpointBucket: { path: ['storage', 'existingCheckpointBucket'] },
  existingDataLakeBucket: { path: ['storage', 'existingDataLakeBucket'] },
  existingTables: { path: ['storage', 'existingTables'] },
  taskManagerCount: { path: ['flink', 'taskManager', 'count'] },
  taskManagerMaxCount: { path: ['flink', 'taskManager', 'maxCount'] },
  taskManagerCpu: { path: ['flink', 'taskManager', 'cpu'] },
  taskManagerMemoryMiB: { path: ['flink', 'taskManager', 'memoryMiB'] },
  jobManagerCpu: { path: ['flink', 'jobManager', 'cpu'] },
  jobManagerMemoryMiB: { path: ['flink', 'jobManager', 'memoryMiB'] },
  sqlGatewayCpu: { path: ['flink', 'sqlGateway', 'cpu'] },
  sqlGatewayMemoryMiB: { path: ['flink', 'sqlGateway', 'memoryMiB'] },
  checkpointInterval: { path: ['flink', 'checkpointInterval'] },
  savepointScheduleMinutes: { path: ['savepoints', 'scheduleMinutes'] },
  reconcileScheduleMinutes: { path: ['controlPlane', 'reconcileScheduleMinutes'] },
  autoscale: { path: ['controlPlane', 'autoscale'] },
  controlPlaneReservedConcurrency: { path: ['controlPlane', 'reservedConcurrency'] },
  savepointMaxCount: { path: ['savepoints', 'maxCount'] },
  savepointMaxAgeHours: { path: ['savepoints', 'maxAgeHours'] },
  savepointExpirationDays: { path: ['savepoints', 'expirationDays'] },
  deadLetterExpirationDays: { path: ['storage', 'deadLetterExpirationDays'] },
  checkpointExpirationDays: { path: ['storage', 'checkpointExpirationDays'] },
  sealedHotPartExpirationDays: { path: ['storage', 'sealedHotPartExpirationDays'] },
  lakehouseProjectionStart: { path: ['storage', 'lakehouseProjectionStart'] },
  logRetentionDays: { path: ['logs', 'retentionDays'] },
  logLevel: { path: ['logs', 'level'] },
  staleWatermarkSeconds: { path: ['alarms', 'staleWatermarkSeconds'] },
  jobRestartsThreshold: { path: ['alarms', 'jobRestartsThreshold'] },
  checkpointDurationAlarmSeconds: { path: ['alarms', 'checkpointDurationSeconds'] },
  recordsLagAlarmThreshold: { path: ['alarms', 'recordsLagThreshold'] },
  busyTimeAlarmPercent: { path: ['alarms', 'busyTimePercent'] },
  alarmTopicArn: { path: ['alarms', 'topicArn'] },
} satisfies Record<string, OptionPlace>);

/** Every option name (without the prefix); docs/deploy.md documents each one, and a test checks it. */
export const APP_OPTION_NAMES: readonly string[] = Object.freeze(Object.keys(OPTIONS));

/**
 * The branches the given options choose: existing brokers only with kafkaMode existing, an imported
 * VPC as soon as one of its options is set.
 */
function chosenBranches(given: Readonly<Record<string, unknown>>) {
  const imports = Object.keys(given).some((name) => OPTIONS[name]?.branch === IMPORTED_VPC);
  return { vpc: imports ? 'imported' : 'created', kafka: given.kafkaMode ?? 'msk' };
}

/**
 * The nested options input from flat ones: each option at its place, the unions' discriminators set
 * from the chosen branches, and the profile's options applied under the given ones where they apply.
 */
function nestOptions(
  given: Readonly<Record<string, unknown>>,
  profile: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const branches = chosenBranches(given);
  const applies = (name: string) => {
    const branch = OPTIONS[name]?.branch;
    return branch === undefined || branches[branch.group] === branch.is;
  };
  const nested: Record<string, unknown> = { vpc: { kind: branches.vpc }, kafka: { mode: branches.kafka } };
  const values = {
    ...Object.fromEntries(Object.entries(profile).filter(([name]) => applies(name))),
    ...given,
  };
  for (const [name, value] of Object.entries(values)) {
    const place = OPTIONS[name];
    if (place === undefined) continue;
    let group = nested;
    for (const key of place.path.slice(0, -1)) {
      group[key] ??= {};
      group = group[key] as Record<string, unknown>;
    }
    group[place.path[place.path.length - 1]!] = value;
  }
  return nested;
}

/** The option whose place is the longest prefix of `path`, and the rest of the path (`[0]`, `.key`). */
function optionAt(path: readonly PropertyKey[]): string | undefined {
  let best: { name: string; length: number } | undefined;
  for (const [name, place] of Object.entries(OPTIONS)) {
    const matches = place.path.every((key, index) => path[index] === key);
    if (matches && place.path.length > (best?.length ?? 0)) best = { name, length: place.path.length };
  }
  if (best === undefined) return undefined;
  const rest = path
    .slice(best.length)
    .map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))
    .join('');
  return `${best.name}${rest}`;
}

/**
 * The problems of a parse, each as `apphub:<name>: <message>`. An unrecognized key of a group stands
 * for the given options under it (a whole group of the other branch, such as MSK's `security`).
 */
function describeOptionIssues(issues: readonly z.core.$ZodIssue[], given: ReadonlySet<string>): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.flatMap((key) => {
        const under = [...issue.path, key];
        const names = APP_OPTION_NAMES.filter(
          (name) => given.has(name) && under.every((part, index) => OPTIONS[name]!.path[index] === part),
        );
        // A key inside an option's value (a table key of existingTables) is named under the option.
        const inside = names.length === 0 ? [optionAt(under) ?? under.join('.')] : names;
        return inside.map((name) => `${CONTEXT_PREFIX}${name}: ${issue.message}`);
      });
    }
    const name = optionAt(issue.path) ?? issue.path.join('.');
    return [`${CONTEXT_PREFIX}${name}: ${issue.message}`];
  });
}

/** Turns `value` and `readonly` objects within into frozen ones, so no stack can change the options. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** `T` with every field readonly, down to arrays and nested groups. */
type Frozen<T> = T extends readonly (infer Item)[]
  ? readonly Frozen<Item>[]
  : T extends object
    ? { readonly [Key in keyof T]: Frozen<T[Key]> }
    : T;

/**
 * Account and region the stacks are bound to: the `account` and `region` options, never the CLI
 * profile's CDK_DEFAULT_ACCOUNT/REGION (the CLI falls back to us-east-1, and a bound stack writes its
 * region into the templates and looks up zones at synth). Both absent: environment-agnostic templates.
 */
export interface DeploymentEnvironment {
  readonly account?: string;
  readonly region?: string;
}

/** The one typed configuration every stack is built from. */
export interface AppConfig {
  /** False unless APPHUB_STREAMING_ENABLED=1 (environment, or context of the same name). */
  readonly streamingEnabled: boolean;
  readonly environment: DeploymentEnvironment;
  readonly options: AppOptions;
}

type ParsedOptions = z.output<typeof optionsSchema>;

type FrozenOptions = Frozen<
  Omit<ParsedOptions, 'environment' | 'microBatcher' | 'flink'> & {
    microBatcher: Omit<ParsedOptions['microBatcher'], 'batchers'> & {
      /** TIMESTORE_STREAMING_BATCHERS as written (the micro-batcher parses it again at cold start). */
      batchers: DatasetDescriptorInput[];
    };
    flink: ParsedOptions['flink'] & {
      /** The configured namespace, or `<stackPrefix in lowercase>.internal`. */
      serviceDiscoveryNamespace: string;
    };
  }
>;

/** The parsed options, grouped, with defaults applied; account and region are the config's environment. */
export type AppOptions = Omit<FrozenOptions, 'microBatcher'> & {
  readonly microBatcher: FrozenOptions['microBatcher'] & {
    /** The descriptors parsed by the micro-batcher's parser: topics and dead-letter prefixes come from them. */
    readonly datasets: readonly DatasetDescriptor[];
  };
};

/** The Kafka options: an MSK cluster the stack creates, or existing brokers. */
export type KafkaOptions = AppOptions['kafka'];
export type MskOptions = Extract<KafkaOptions, { readonly mode: 'msk' }>;
export type ExistingKafkaOptions = Extract<KafkaOptions, { readonly mode: 'existing' }>;

/** The VPC options: one the stack creates, or an imported one. */
export type VpcOptions = AppOptions['vpc'];

/**
 * The Cloud Map namespace of a deployment: its stack prefix, so two deployments in one VPC do not
 * ask for the same private DNS name.
 */
function defaultNamespace(stackPrefix: string): string {
  return `${stackPrefix.toLowerCase()}.internal`;
}

const enableFlagSchema = z.enum(['0', '1'], { message: 'expected "0" or "1"' });

/**
 * Turns the CDK context (all keys) and the process environment into the app's config. Context keys
 * starting with `apphub:` are the options, and an unknown one is an error naming it, so a typo fails
 * the synth instead of being ignored. Every problem is reported in one line, each naming its key.
 */
export function parseAppConfig(
  context: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
): AppConfig {
  const rawFlag = env[ENABLE_FLAG] ?? context[ENABLE_FLAG] ?? '0';
  const flagSource = env[ENABLE_FLAG] !== undefined ? 'environment' : 'context';
  const flag = parseWith(enableFlagSchema, String(rawFlag), `${flagSource} ${ENABLE_FLAG}`);
  const given: Record<string, unknown> = Object.fromEntries(
    Object.entries(context)
      .filter(([key]) => key.startsWith(CONTEXT_PREFIX))
      .map(([key, value]) => [key.slice(CONTEXT_PREFIX.length), value]),
  );
  const profile = parseWith(profileSchema, given.profile, `CDK context ${CONTEXT_PREFIX}profile`);
  const unknown = Object.keys(given).filter((name) => OPTIONS[name] === undefined);
  const result = optionsSchema.safeParse(nestOptions(given, PROFILES[profile]));
  const problems = [
    ...unknown.map(
      (name) =>
        `${CONTEXT_PREFIX}${name}: not an option of this app (check the spelling; docs/deploy.md lists every option)`,
    ),
    ...(result.success ? [] : describeOptionIssues(result.error.issues, new Set(Object.keys(given)))),
  ];
  if (problems.length > 0 || !result.success) {
    throw new ConfigInvalidError(`CDK context is invalid: ${problems.join('; ')}`, {
      cause: result.error,
    });
  }
  const { environment, ...parsed } = result.data;
  const datasets = parseDescriptorList(parsed.microBatcher.batchers, `CDK context ${CONTEXT_PREFIX}batchers`);
  const options: AppOptions = deepFreeze({
    ...parsed,
    microBatcher: {
      ...parsed.microBatcher,
      batchers: parsed.microBatcher.batchers as DatasetDescriptorInput[],
      datasets,
    },
    flink: {
      ...parsed.flink,
      serviceDiscoveryNamespace:
        parsed.flink.serviceDiscoveryNamespace ?? defaultNamespace(parsed.stackPrefix),
    },
  });
  return Object.freeze({
    streamingEnabled: flag === '1',
    environment: Object.freeze(environment ?? {}),
    options,
  });
}
