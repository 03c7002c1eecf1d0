import {
  checkEventSourceSettings,
  type DatasetDescriptor,
  type DatasetDescriptorInput,
  type EventSourceSettings,
  eventSourceSettingsShape,
  MINIMUM_OUTAGE_RIDE_OUT_SECONDS,
  OUTAGE_RESERVE_SECONDS,
  outageRideOutSeconds,
  parseBatcherDescriptors,
  pickEventSourceSettings,
  sampleBatcherDescriptor,
} from '@apphub/microbatcher/dataset';
import { parseWith, platform, tables, z } from '@apphub/platform/settings';

/** Every app option is a CDK context key with this prefix (cdk.json `context` or `cdk synth -c apphub:x=y`). */
export const CONTEXT_PREFIX = 'apphub:';

/** The enable flag: the environment variable wins over the context key of the same name. */
export const ENABLE_FLAG = 'APPHUB_STREAMING_ENABLED';

const hostPortList = /^[^\s,:]+:\d+$/;

/** A list given as a JSON array in cdk.json or as a comma-separated string with `-c`. */
const stringList = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((item) => item.trim())
          .filter((item) => item.length > 0)
      : value,
  z.array(z.string().min(1)),
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

/**
 * Batcher descriptors: a JSON array. Their fields are checked with the micro-batcher's own parser
 * after this schema (see parseAppConfig).
 */
const batcherList = fromJson(z.array(z.record(z.string(), z.unknown())));

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
 * The memory (MiB) Fargate runs with each CPU size, from the task size table of
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */
const FARGATE_MEMORY: Readonly<
  Record<number, { readonly from: number; readonly to: number; readonly step: number }>
> = {
  256: { from: 512, to: 2048, step: 512 },
  512: { from: 1024, to: 4096, step: 1024 },
  1024: { from: 2048, to: 8192, step: 1024 },
  2048: { from: 4096, to: 16384, step: 1024 },
  4096: { from: 8192, to: 30720, step: 1024 },
  8192: { from: 16384, to: 61440, step: 4096 },
  16384: { from: 32768, to: 122880, step: 8192 },
};

/** Why Fargate would refuse a task of `cpu` units and `memoryMiB`, or undefined when it runs it. */
function fargateSizeProblem(cpu: number, memoryMiB: number): string | undefined {
  const sizes = FARGATE_MEMORY[cpu];
  if (sizes === undefined) return `Fargate has no task size of ${cpu} CPU units`;
  // 0.25 vCPU takes 512, 1024 or 2048 MiB (1536 is not offered).
  const allowed =
    cpu === 256
      ? memoryMiB === 512 || memoryMiB === 1024 || memoryMiB === 2048
      : memoryMiB >= sizes.from && memoryMiB <= sizes.to && (memoryMiB - sizes.from) % sizes.step === 0;
  if (allowed) return undefined;
  const range =
    cpu === 256 ? '512, 1024 or 2048 MiB' : `${sizes.from}-${sizes.to} MiB in steps of ${sizes.step}`;
  return `Fargate does not run ${cpu} CPU units with ${memoryMiB} MiB: ${cpu} CPU units take ${range}`;
}

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
 * Sizes a deployment starts from; an option set explicitly wins over its profile. `dev` keeps the
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

const optionsSchema = z
  .strictObject({
    profile: profileSchema,
    stackPrefix: stackPrefixSchema,
    account: z
      .string()
      .regex(/^\d{12}$/, 'expected a 12-digit AWS account id')
      .optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'expected an AWS Region such as eu-west-1')
      .optional(),
    vpcId: z
      .string()
      .regex(/^vpc-[0-9a-f]+$/, 'expected a VPC id such as vpc-0abc123')
      .optional(),
    vpcAvailabilityZones: stringList.optional(),
    vpcPrivateSubnetIds: stringList.optional(),
    vpcMaxAzs: integer(2, 6).default(2),
    natGateways: integer(1, 6).default(1),
    kafkaMode: z.enum(['msk', 'existing']).default('msk'),
    kafkaBootstrapServers: stringList
      .pipe(z.array(z.string().regex(hostPortList, 'expected host:port')))
      .optional(),
    kafkaSecretArn: z
      .string()
      .regex(/^arn:aws[\w-]*:secretsmanager:/, 'expected a Secrets Manager secret ARN')
      .optional(),
    // Existing brokers only: SASL_SSL with kafkaSecretArn, PLAINTEXT without (the default follows the secret).
    kafkaSecurityProtocol: z.enum(['PLAINTEXT', 'SSL', 'SASL_SSL']).optional(),
    mskBrokerNodes: integer(2, 30).default(2),
    mskInstanceType: z
      .string()
      .regex(/^kafka\.[a-z0-9]+\.[a-z0-9]+$/, 'expected an MSK instance type such as kafka.m7g.large')
      .default('kafka.m7g.large'),
    mskVolumeSizeGiB: integer(1, 16384).default(100),
    mskKafkaVersion,
    // The event source mapping's settings: one schema with the local runner (npm run batcher).
    ...eventSourceSettingsShape,
    // Failed batches (whole invocation records) are kept this long; replayed ones 30 days.
    failedBatchExpirationDays: integer(1, 3650).default(365),
    // OffsetLag (records behind the topic's end) that, held for 15 minutes, raises the alarm.
    offsetLagAlarmRecords: integer(1, 100_000_000).default(10_000),
    batchers: batcherList.default([{ ...sampleBatcherDescriptor }]),
    sealScheduleMinutes: integer(1, 60).default(5),
    microBatcherMemoryMiB: integer(128, 10_240).default(1024),
    microBatcherTimeoutSeconds: microBatcherTimeoutSchema,
    serviceDiscoveryNamespace: z
      .string()
      .regex(dnsName, 'expected a private DNS name such as apphubstreaming.internal')
      .optional(),
    existingCheckpointBucket: bucketName.optional(),
    existingDataLakeBucket: bucketName.optional(),
    existingTables: existingTables.optional(),
    taskManagerCount: integer(1, 100).default(platform.flink.taskManagers),
    taskManagerMaxCount: integer(1, 100).optional(),
    taskManagerCpu: z.coerce
      .number()
      .pipe(z.literal([512, 1024, 2048, 4096, 8192, 16384]))
      .default(1024),
    taskManagerMemoryMiB: integer(1024, 122_880).default(4096),
    jobManagerCpu: z.coerce
      .number()
      .pipe(z.literal([512, 1024, 2048, 4096]))
      .default(1024),
    jobManagerMemoryMiB: integer(1024, 30_720).default(2048),
    sqlGatewayCpu: z.coerce
      .number()
      .pipe(z.literal([256, 512, 1024, 2048]))
      .default(512),
    sqlGatewayMemoryMiB: integer(1024, 16_384).default(2048),
    checkpointInterval: z
      .string()
      .regex(/^\d+\s*(ms|s|min|h)$/, 'expected e.g. "1 min", "30 s"')
      .optional(),
    savepointScheduleMinutes: integer(1, 1440).default(60),
    reconcileScheduleMinutes: integer(1, 60).default(5),
    controlPlaneReservedConcurrency: z.union([z.boolean(), z.stringbool()]).default(false),
    savepointMaxCount: integer(1, 1000).default(10),
    savepointMaxAgeHours: integer(1, 24 * 365).default(24),
    savepointExpirationDays: integer(1, 3650).default(30),
    deadLetterExpirationDays: integer(1, 3650).default(90),
    checkpointExpirationDays: integer(1, 3650).default(14),
    sealedHotPartExpirationDays: integer(1, 3650).default(7),
    lakehouseProjectionStart: z.iso
      .datetime({ message: 'expected an ISO-8601 UTC time such as 2026-01-01T00:00:00Z' })
      .default('2026-01-01T00:00:00Z'),
    logRetentionDays: logRetentionDays.default(30),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
    staleWatermarkSeconds: integer(60, 86_400).default(900),
    jobRestartsThreshold: integer(1, 1000).default(3),
    checkpointDurationAlarmSeconds: integer(1, 86_400).default(60),
    recordsLagAlarmThreshold: integer(1, 1_000_000_000).default(10_000),
    busyTimeAlarmPercent: integer(10, 100).default(90),
    alarmTopicArn: z
      .string()
      .regex(/^arn:aws[\w-]*:sns:/, 'expected an SNS topic ARN')
      .optional(),
  })
  .superRefine((options, context) => {
    const vpcFields = [options.vpcId, options.vpcAvailabilityZones, options.vpcPrivateSubnetIds];
    const given = vpcFields.filter((field) => field !== undefined).length;
    if (given > 0 && given < vpcFields.length) {
      context.addIssue({
        code: 'custom',
        path: ['vpcId'],
        message: 'an imported VPC needs vpcId, vpcAvailabilityZones and vpcPrivateSubnetIds together',
      });
    }
    if (
      options.vpcAvailabilityZones !== undefined &&
      options.vpcPrivateSubnetIds !== undefined &&
      options.vpcAvailabilityZones.length !== options.vpcPrivateSubnetIds.length
    ) {
      context.addIssue({
        code: 'custom',
        path: ['vpcPrivateSubnetIds'],
        message: 'expected one private subnet per availability zone',
      });
    }
    if ((options.account === undefined) !== (options.region === undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['account'],
        message: 'set account and region together (or neither, for environment-agnostic templates)',
      });
    }
    const agnostic = options.account === undefined || options.region === undefined;
    if (options.vpcId === undefined && agnostic && options.vpcMaxAzs > AGNOSTIC_ZONES) {
      context.addIssue({
        code: 'custom',
        path: ['vpcMaxAzs'],
        message: `an environment-agnostic deployment has ${AGNOSTIC_ZONES} availability zones; set account and region to use more`,
      });
    }
    const zones = options.vpcAvailabilityZones?.length ?? options.vpcMaxAzs;
    if (options.kafkaMode === 'msk' && options.mskBrokerNodes % zones !== 0) {
      context.addIssue({
        code: 'custom',
        path: ['mskBrokerNodes'],
        message: `MSK needs the same number of brokers in each of the ${zones} availability zones`,
      });
    }
    if (options.kafkaMode === 'existing' && options.kafkaBootstrapServers === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['kafkaBootstrapServers'],
        message: 'required when kafkaMode is existing',
      });
    }
    if (options.kafkaMode === 'existing') {
      const protocol = options.kafkaSecurityProtocol ?? (options.kafkaSecretArn ? 'SASL_SSL' : 'PLAINTEXT');
      if (protocol === 'SSL') {
        // https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-configure.html lists the event source's
        // ways to reach self-managed Kafka: SASL/SCRAM or SASL/PLAIN over TLS, mTLS, or the VPC alone.
        context.addIssue({
          code: 'custom',
          path: ['kafkaSecurityProtocol'],
          message:
            "SSL without SASL is not offered: Lambda's self-managed Kafka event source authenticates with SASL/SCRAM (SASL_SSL, with kafkaSecretArn) or reaches plaintext brokers through the VPC (PLAINTEXT)",
        });
      } else if ((protocol === 'SASL_SSL') !== (options.kafkaSecretArn !== undefined)) {
        context.addIssue({
          code: 'custom',
          path: ['kafkaSecretArn'],
          message:
            protocol === 'SASL_SSL'
              ? 'required with kafkaSecurityProtocol SASL_SSL (the SASL/SCRAM-SHA-512 credentials)'
              : 'only valid with kafkaSecurityProtocol SASL_SSL',
        });
      }
    }
    if (options.kafkaMode === 'msk') {
      for (const field of ['kafkaBootstrapServers', 'kafkaSecretArn', 'kafkaSecurityProtocol'] as const) {
        if (options[field] !== undefined) {
          context.addIssue({
            code: 'custom',
            path: [field],
            message:
              'only valid when kafkaMode is existing (MSK brokers come from the created cluster, reached over TLS)',
          });
        }
      }
    }
    if (options.savepointExpirationDays * 24 <= options.savepointMaxAgeHours) {
      context.addIssue({
        code: 'custom',
        path: ['savepointExpirationDays'],
        message: 'the bucket lifecycle must keep savepoints longer than savepointMaxAgeHours',
      });
    }
    for (const [cpu, memory] of [
      ['taskManagerCpu', 'taskManagerMemoryMiB'],
      ['jobManagerCpu', 'jobManagerMemoryMiB'],
      ['sqlGatewayCpu', 'sqlGatewayMemoryMiB'],
    ] as const) {
      const problem = fargateSizeProblem(options[cpu], options[memory]);
      if (problem) context.addIssue({ code: 'custom', path: [memory], message: problem });
    }
    checkEventSourceSettings(options, context);
    const rideOut = outageRideOutSeconds(options, options.microBatcherTimeoutSeconds);
    if (rideOut < MINIMUM_OUTAGE_RIDE_OUT_SECONDS) {
      context.addIssue({
        code: 'custom',
        path: ['retryAttempts'],
        message: `a batch would ride out only ${rideOut} s of S3 or DynamoDB outage before going to the on-failure destination ((1 + retryAttempts) x (microBatcherTimeoutSeconds - ${OUTAGE_RESERVE_SECONDS} s)); raise retryAttempts or microBatcherTimeoutSeconds to cover at least ${MINIMUM_OUTAGE_RIDE_OUT_SECONDS} s`,
      });
    }
    if (options.taskManagerMaxCount !== undefined && options.taskManagerMaxCount < options.taskManagerCount) {
      context.addIssue({
        code: 'custom',
        path: ['taskManagerMaxCount'],
        message: `expected taskManagerCount (${options.taskManagerCount}) <= taskManagerMaxCount (${options.taskManagerMaxCount})`,
      });
    }
  });

/** Every option name (without the prefix); docs/deploy.md documents each one, and a test checks it. */
export const APP_OPTION_NAMES: readonly string[] = Object.keys(optionsSchema.shape);

/** The options of the app as written in cdk.json or with `-c`, before defaults. */
export type AppOptionsInput = z.input<typeof optionsSchema>;

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

/** Parsed options with defaults applied; the rescale bound on TaskManagers is always resolved. */
export type AppOptions = Readonly<
  Omit<z.output<typeof optionsSchema>, 'taskManagerMaxCount' | 'batchers' | 'serviceDiscoveryNamespace'> & {
    /** Most TaskManagers a rescale may run (default twice taskManagerCount, the fewest). */
    taskManagerMaxCount: number;
    /** The configured namespace, or `<stackPrefix in lowercase>.internal`. */
    serviceDiscoveryNamespace: string;
    /** TIMESTORE_STREAMING_BATCHERS as written (the micro-batcher parses it again at cold start). */
    batchers: readonly DatasetDescriptorInput[];
    /** The same descriptors parsed by the micro-batcher's parser: topics and dead-letter prefixes come from them. */
    datasets: readonly DatasetDescriptor[];
    /** The event source mapping's settings, as `npm run batcher` reads them from the same context. */
    eventSource: EventSourceSettings;
  }
>;

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
 * the synth instead of being ignored.
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
  const parsed = parseWith(
    optionsSchema,
    { ...PROFILES[profile], ...given },
    `CDK context (${CONTEXT_PREFIX}*)`,
  );
  const datasets = parseBatcherDescriptors(
    JSON.stringify(parsed.batchers),
    `CDK context ${CONTEXT_PREFIX}batchers`,
  );
  const taskManagerMaxCount = parsed.taskManagerMaxCount ?? 2 * parsed.taskManagerCount;
  const environment: DeploymentEnvironment =
    parsed.account !== undefined && parsed.region !== undefined
      ? { account: parsed.account, region: parsed.region }
      : {};
  return Object.freeze({
    streamingEnabled: flag === '1',
    environment,
    options: Object.freeze({
      ...parsed,
      batchers: parsed.batchers as DatasetDescriptorInput[],
      datasets,
      eventSource: pickEventSourceSettings(parsed),
      kafkaSecurityProtocol:
        parsed.kafkaMode === 'existing'
          ? (parsed.kafkaSecurityProtocol ?? (parsed.kafkaSecretArn ? 'SASL_SSL' : 'PLAINTEXT'))
          : undefined,
      taskManagerMaxCount,
      serviceDiscoveryNamespace: parsed.serviceDiscoveryNamespace ?? defaultNamespace(parsed.stackPrefix),
    }),
  });
}
