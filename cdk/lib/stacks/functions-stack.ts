import { consumerGroupIdFor } from '@apphub/microbatcher/dataset';
import { FunctionFolder } from '@apphub/observability/metric-names';
import type { KafkaSecurity } from '@apphub/platform/settings';
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { AppOptions } from '../config.js';
import type { FailedBatchDestination } from '../constructs/failed-batch-destination.js';
import { RuntimeLayer } from '../constructs/runtime-layer.js';
import {
  FUNCTION_ARCHITECTURE,
  FUNCTION_RUNTIME,
  StreamingFunction,
} from '../constructs/streaming-function.js';
import { TopicManager } from '../constructs/topic-manager.js';
import { smokeFunctionName } from '../function-names.js';
import { kafkaClientEnvironment, kafkaSecretArnOf } from '../kafka-access.js';
import { objectsOfBucket, objectsUnder, S3_GRANT_ACTIONS } from '../nag-patterns.js';
import { CHECKPOINT_PREFIX, dataLakeBucketReference, SAVEPOINT_PREFIX } from './storage-stack.js';

export interface FunctionsStackProps extends StackProps {
  readonly options: AppOptions;
  readonly projectRoot: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly functionSecurityGroup: ec2.ISecurityGroup;
  readonly checkpointBucket: s3.IBucket;
  readonly dataLakeBucket: s3.IBucket;
  readonly watermarkTable: dynamodb.ITable;
  readonly jobsTable: dynamodb.ITable;
  readonly savepointsTable: dynamodb.ITable;
  /** Single-flight leases of savepoint, reconcile and rescale (`tables.leases`). */
  readonly leasesTable: dynamodb.ITable;
  /** The autoscaler's decisions, written by reconcile's autoscale pass (`tables.autoscaleDecisions`). */
  readonly autoscaleDecisionsTable: dynamodb.ITable;
  /**
   * Flink's ECS services: a JobManager task reaching RUNNING invokes reconcile at once (no JobManager
   * HA: a new JobManager knows no jobs), and rescale sets the TaskManager service's desired count.
   */
  readonly flinkServices: {
    readonly cluster: ecs.ICluster;
    readonly jobManager: ecs.IBaseService;
    readonly taskManagers: ecs.IBaseService;
  };
  readonly flinkRestUrl: string;
  readonly sqlGatewayUrl: string;
  /** The Kafka event sources' on-failure destination (StorageStack), when onFailureDestination is s3. */
  readonly failedBatches?: FailedBatchDestination | undefined;
  /** The MSK cluster when kafkaMode is msk; absent means the configured existing brokers. */
  readonly mskClusterArn?: string | undefined;
  /**
   * How the Flink jobs reach Kafka: the brokers and the security description (kafkaSecurityOf). The
   * control plane renders them into every submitted template (BROKERS, KAFKA_CLIENT_OPTIONS).
   */
  readonly kafka: { readonly bootstrapServers: string; readonly security: KafkaSecurity };
  /**
   * Differs at every synth so every deploy re-applies the topic spec (TopicManagerProps.deployNonce).
   * Default: the synth time.
   */
  readonly deployNonce?: string | undefined;
}

/**
 * The Lambdas of the function contract: the Kafka-triggered micro-batcher and the Flink control plane
 * (submit-sql; savepoint and reconcile on EventBridge schedules, reconcile also on a JobManager start;
 * rescale on demand), with the shared layer and grants limited to what each one reads and writes.
 */
export class FunctionsStack extends Stack {
  readonly microBatcher: lambda.IFunction;
  readonly submitSql: lambda.IFunction;
  readonly savepoint: lambda.IFunction;
  readonly reconcile: lambda.IFunction;
  readonly rescale: lambda.IFunction;
  /** Creates and configures the topics on every deploy, before the event sources poll them. */
  readonly topicManager: TopicManager;
  /** `npm run smoke -- --target aws`: the sample through the deployed pipeline, named smokeFunctionName. */
  readonly smoke: lambda.IFunction;

  constructor(scope: Construct, id: string, props: FunctionsStackProps) {
    super(scope, id, props);
    const { options } = props;
    const runtimeLayer = new RuntimeLayer(this, 'RuntimeLayer', {
      projectRoot: props.projectRoot,
      runtime: FUNCTION_RUNTIME,
      architecture: FUNCTION_ARCHITECTURE,
    });
    const common = {
      projectRoot: props.projectRoot,
      layer: runtimeLayer.layer,
      externalModules: runtimeLayer.externalModules,
      logRetention: options.logs.retentionDays as logs.RetentionDays,
    };
    const logLevel = { LOG_LEVEL: options.logs.level };

    this.microBatcher = new StreamingFunction(this, 'MicroBatcher', {
      ...common,
      name: FunctionFolder.microBatcher,
      memoryMiB: options.microBatcher.memoryMiB,
      timeout: Duration.seconds(options.microBatcher.timeoutSeconds),
      environment: {
        ...logLevel,
        TIMESTORE_STREAMING_BATCHERS: JSON.stringify(options.microBatcher.batchers),
        APPHUB_DATA_LAKE_BUCKET: props.dataLakeBucket.bucketName,
        APPHUB_WATERMARK_TABLE: props.watermarkTable.tableName,
      },
    }).function;
    props.dataLakeBucket.grantReadWrite(this.microBatcher);
    props.watermarkTable.grantReadWriteData(this.microBatcher);
    this.attachKafkaSource(props);

    const network = { vpc: props.vpc, subnets: props.subnets, securityGroup: props.functionSecurityGroup };
    const controlPlaneEnvironment = {
      ...logLevel,
      APPHUB_FLINK_REST_URL: props.flinkRestUrl,
      APPHUB_SQL_GATEWAY_URL: props.sqlGatewayUrl,
      APPHUB_JOBS_TABLE: props.jobsTable.tableName,
      APPHUB_SAVEPOINTS_TABLE: props.savepointsTable.tableName,
      APPHUB_LEASES_TABLE: props.leasesTable.tableName,
      APPHUB_SAVEPOINT_DIR: `s3://${props.checkpointBucket.bucketName}/${SAVEPOINT_PREFIX}`,
      APPHUB_CHECKPOINT_DIR: `s3://${props.checkpointBucket.bucketName}/${CHECKPOINT_PREFIX}`,
      APPHUB_SAVEPOINT_MAX_COUNT: String(options.savepoints.maxCount),
      APPHUB_SAVEPOINT_MAX_AGE_HOURS: String(options.savepoints.maxAgeHours),
      APPHUB_KAFKA_BOOTSTRAP_SERVERS: props.kafka.bootstrapServers,
      APPHUB_KAFKA_SECURITY: JSON.stringify(props.kafka.security),
    };
    const controlPlane = (
      construct: string,
      name: string,
      timeout: Duration,
      extra: { reservedConcurrency?: number; environment?: Record<string, string> } = {},
    ) =>
      new StreamingFunction(this, construct, {
        ...common,
        name,
        network,
        memoryMiB: 512,
        timeout,
        reservedConcurrency: extra.reservedConcurrency,
        environment: { ...controlPlaneEnvironment, ...extra.environment },
      }).function;

    // Savepoints are polled to completion inside one invocation, hence the longer timeouts. A run may
    // outlast its schedule period, so savepoint and reconcile are single-flight through DynamoDB
    // leases (two reconcilers could resubmit the same job twice); reserved concurrency of 1 is an
    // opt-in extra, because accounts with a low concurrency quota reject it.
    const singleFlight = options.controlPlane.reservedConcurrency ? { reservedConcurrency: 1 } : {};
    this.submitSql = controlPlane('SubmitSql', FunctionFolder.submitSql, Duration.minutes(2));
    this.savepoint = controlPlane('Savepoint', FunctionFolder.savepoint, Duration.minutes(10), singleFlight);
    const { cluster, jobManager, taskManagers } = props.flinkServices;
    const taskManagerService = {
      APPHUB_TASKMANAGER_CLUSTER: cluster.clusterName,
      APPHUB_TASKMANAGER_SERVICE: taskManagers.serviceName,
      APPHUB_TASKMANAGER_MIN_COUNT: String(options.flink.taskManager.count),
      APPHUB_TASKMANAGER_MAX_COUNT: String(options.flink.taskManager.maxCount),
    };
    // With the autoscaler on, a scheduled reconcile may end in a rescale: the rescale's timeout.
    const autoscale = options.controlPlane.autoscale;
    this.reconcile = controlPlane(
      'Reconcile',
      FunctionFolder.reconcile,
      Duration.minutes(autoscale.enabled ? 15 : 10),
      {
        ...singleFlight,
        environment: {
          APPHUB_AUTOSCALE: JSON.stringify(autoscale),
          APPHUB_AUTOSCALE_DECISIONS_TABLE: props.autoscaleDecisionsTable.tableName,
          ...(autoscale.enabled ? taskManagerService : {}),
        },
      },
    );
    // A savepoint (up to 5 min), TaskManagers starting (up to 5 min) and a restore: the longest timeout.
    this.rescale = controlPlane('Rescale', FunctionFolder.rescale, Duration.minutes(15), {
      environment: taskManagerService,
    });

    // submit-sql records desired jobs, picks a restore point from the savepoint history (refreshing
    // in-flight entries) and records the savepoint of an upgrade's stop-with-savepoint.
    props.jobsTable.grantReadWriteData(this.submitSql);
    props.savepointsTable.grantReadWriteData(this.submitSql);
    // savepoint records history and applies retention, deleting expired savepoint data.
    props.jobsTable.grantReadData(this.savepoint);
    props.savepointsTable.grantReadWriteData(this.savepoint);
    props.checkpointBucket.grantRead(this.savepoint, `${SAVEPOINT_PREFIX}/*`);
    props.checkpointBucket.grantDelete(this.savepoint, `${SAVEPOINT_PREFIX}/*`);
    // reconcile updates desired state and records the savepoints of stop-with-savepoint upgrades.
    props.jobsTable.grantReadWriteData(this.reconcile);
    props.savepointsTable.grantReadWriteData(this.reconcile);
    for (const fn of [this.submitSql, this.reconcile]) {
      props.checkpointBucket.grantRead(fn, `${SAVEPOINT_PREFIX}/*`);
      props.checkpointBucket.grantRead(fn, `${CHECKPOINT_PREFIX}/*`);
    }
    // rescale records the stop savepoint (checking its _metadata) and the job's new parallelism, and
    // sets the TaskManager service's desired count: that service only, no other ECS action.
    props.jobsTable.grantReadWriteData(this.rescale);
    props.savepointsTable.grantReadWriteData(this.rescale);
    props.checkpointBucket.grantRead(this.rescale, `${SAVEPOINT_PREFIX}/*`);
    // The autoscale pass (in reconcile) records decisions and, when on, rescales as rescale does.
    props.autoscaleDecisionsTable.grantReadWriteData(this.reconcile);
    for (const fn of autoscale.enabled ? [this.rescale, this.reconcile] : [this.rescale]) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ecs:DescribeServices', 'ecs:UpdateService'],
          resources: [taskManagers.serviceArn],
        }),
      );
    }
    for (const fn of [this.savepoint, this.reconcile, this.rescale]) props.leasesTable.grantReadWriteData(fn);

    const kafkaSecretArn = kafkaSecretArnOf(options.kafka);
    const kafkaSecret = kafkaSecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'KafkaClientSecret', kafkaSecretArn)
      : undefined;
    const kafkaEnvironment = kafkaClientEnvironment(props.kafka, kafkaSecret?.secretArn);
    this.topicManager = new TopicManager(this, 'TopicManager', {
      function: { ...common, network },
      environment: { ...logLevel, ...kafkaEnvironment },
      secret: kafkaSecret,
      deployNonce: props.deployNonce ?? new Date().toISOString(),
    });
    // The event sources start polling their topics only once the topic manager has created them.
    for (const child of this.microBatcher.node.findAll()) {
      if (child instanceof lambda.EventSourceMapping) child.node.addDependency(this.topicManager.resource);
    }

    // The smoke test runs the sample through the deployed pipeline from inside the VPC: it produces
    // and reads Kafka, reads the lake and the watermarks, asks Flink whether the sample job runs, and
    // starts sealing passes of the micro-batcher (the event EventBridge sends it).
    this.smoke = new StreamingFunction(this, 'Smoke', {
      ...common,
      name: FunctionFolder.smoke,
      functionName: smokeFunctionName(options.stackPrefix),
      network,
      memoryMiB: 1024,
      timeout: Duration.minutes(15),
      environment: {
        ...logLevel,
        ...kafkaEnvironment,
        TIMESTORE_STREAMING_BATCHERS: JSON.stringify(options.microBatcher.batchers),
        APPHUB_DATA_LAKE_BUCKET: props.dataLakeBucket.bucketName,
        APPHUB_WATERMARK_TABLE: props.watermarkTable.tableName,
        APPHUB_FLINK_REST_URL: props.flinkRestUrl,
        APPHUB_MICRO_BATCHER_FUNCTION: this.microBatcher.functionName,
      },
    }).function;
    props.dataLakeBucket.grantRead(this.smoke);
    props.watermarkTable.grantReadData(this.smoke);
    this.microBatcher.grantInvoke(this.smoke);
    kafkaSecret?.grantRead(this.smoke);

    // The sealing pass seals windows of datasets whose topic went quiet (no Kafka event would).
    this.schedule('SealSchedule', this.microBatcher, options.microBatcher.sealScheduleMinutes);
    this.schedule('SavepointSchedule', this.savepoint, options.savepoints.scheduleMinutes);
    this.schedule('ReconcileSchedule', this.reconcile, options.controlPlane.reconcileScheduleMinutes);
    // No JobManager HA on ECS: a replaced JobManager task (a deploy, a crash) knows no jobs. Its start
    // invokes reconcile at once, which waits until it is ready and resubmits every job from its newest
    // checkpoint, instead of the jobs staying down until the next scheduled run.
    new events.Rule(this, 'JobManagerStarted', {
      description: 'Reconcile all Flink jobs as soon as a new JobManager task runs',
      eventPattern: jobManagerStartedPattern(cluster.clusterArn, jobManager.serviceName),
      targets: [new targets.LambdaFunction(this.reconcile, { retryAttempts: 2 })],
    });
    this.suppressGrantWildcards(options);
  }

  private schedule(id: string, target: lambda.IFunction, minutes: number): void {
    // A tick that waited (throttled by single-flight) longer than one period is dropped: the next one comes.
    target.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(Math.min(minutes, 360)) });
    new events.Rule(this, id, {
      schedule: events.Schedule.rate(Duration.minutes(minutes)),
      targets: [new targets.LambdaFunction(target, { retryAttempts: 0 })],
    });
  }

  /**
   * The event source matching the Kafka mode, with the settings `npm run batcher` also runs with
   * (options.microBatcher.eventSource): batching, starting position, retries and the on-failure destination.
   */
  private attachKafkaSource(props: FunctionsStackProps): void {
    const { options } = props;
    const settings = options.microBatcher.eventSource;
    if (settings.onFailureDestination === 's3' && props.failedBatches === undefined) {
      throw new Error('onFailureDestination is s3 but the StorageStack created no failed-batch bucket');
    }
    const onFailure = props.failedBatches?.eventSourceDestination();
    const shared = (topic: string): sources.KafkaEventSourceProps => ({
      topic,
      // One group per mapping and deployment: Lambda requires it unique among Kafka event sources.
      consumerGroupId: consumerGroupIdFor(options.stackPrefix, topic),
      startingPosition: lambda.StartingPosition[settings.startingPosition],
      batchSize: settings.batchSize,
      maxBatchingWindow: Duration.seconds(settings.batchingWindowSeconds),
      retryAttempts: settings.retryAttempts,
      ...(onFailure ? { onFailure } : {}),
      // Retry limits and on-failure destinations of Kafka event sources need provisioned pollers.
      provisionedPollerConfig: {
        minimumPollers: settings.minimumPollers,
        maximumPollers: settings.maximumPollers,
      },
    });
    const { kafka } = options;
    if (kafka.mode === 'msk' && props.mskClusterArn === undefined) {
      throw new Error('kafkaMode is msk but no MSK cluster ARN was passed to the FunctionsStack');
    }
    const secretArn = kafkaSecretArnOf(kafka);
    const secret = secretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'KafkaSecret', secretArn)
      : undefined;
    // One event source per topic the datasets read (a mapping subscribes to exactly one topic).
    for (const topic of new Set(options.microBatcher.datasets.map((dataset) => dataset.topic))) {
      this.microBatcher.addEventSource(
        kafka.mode === 'msk'
          ? new sources.ManagedKafkaEventSource({ ...shared(topic), clusterArn: props.mskClusterArn! })
          : new sources.SelfManagedKafkaEventSource({
              ...shared(topic),
              bootstrapServers: [...kafka.bootstrapServers],
              vpc: props.vpc,
              vpcSubnets: props.subnets,
              securityGroup: props.functionSecurityGroup,
              ...(secret
                ? { secret, authenticationMethod: sources.AuthenticationMethod.SASL_SCRAM_512_AUTH }
                : {}),
            }),
      );
    }
    if (kafka.mode === 'existing') {
      // The self-managed poller creates its network interfaces in the VPC with the function's role
      // (for MSK, the event source attaches AWS's MSK execution policy, which covers this).
      this.microBatcher.addToRolePolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DeleteNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeSubnets',
            'ec2:DescribeVpcs',
          ],
          resources: ['*'],
        }),
      );
    }
  }

  private suppressGrantWildcards(options: AppOptions): void {
    const checkpointObjects = objectsUnder(CHECKPOINT_PREFIX, SAVEPOINT_PREFIX);
    const grants: ReadonlyArray<[lambda.IFunction, string, { regex: string }]> = [
      [
        this.microBatcher,
        'Parquet parts, sealed files, manifests and dead letters are many objects under dataset prefixes of the data-lake bucket, which only this function writes.',
        objectsOfBucket(dataLakeBucketReference(options)),
      ],
      [
        this.submitSql,
        'Reads savepoint and checkpoint objects under those two prefixes of the checkpoint bucket to find restore points.',
        checkpointObjects,
      ],
      [
        this.savepoint,
        'Reads and deletes savepoint objects under savepoints/ only, to apply retention.',
        checkpointObjects,
      ],
      [
        this.reconcile,
        'Reads savepoint and checkpoint objects under those two prefixes of the checkpoint bucket to find restore points.',
        checkpointObjects,
      ],
      [
        this.rescale,
        "Reads savepoint objects under savepoints/ to check a stop savepoint's _metadata.",
        checkpointObjects,
      ],
      [
        this.smoke,
        "Reads the sealed Parquet files, manifests and hot parts of the smoke run's window in the data-lake bucket.",
        objectsOfBucket(dataLakeBucketReference(options)),
      ],
    ];
    for (const [fn, reason, objects] of grants) {
      if (fn.role === undefined) continue;
      NagSuppressions.addResourceSuppressions(
        fn.role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason: `${reason} S3 grants use the wildcard action groups (Get*/List*/DeleteObject*/Abort*) on object ARNs under a prefix.`,
            appliesTo: [S3_GRANT_ACTIONS, objects],
          },
        ],
        true,
      );
    }
    if (this.smoke.role !== undefined) {
      NagSuppressions.addResourceSuppressions(
        this.smoke.role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              "grantInvoke covers the micro-batcher's versions (<arn>:*); the smoke function invokes only that function, for sealing passes.",
            appliesTo: [{ regex: '/^Resource::<MicroBatcherFunction[0-9A-F]+\\.Arn>:\\*$/g' }],
          },
        ],
        true,
      );
    }
    if (this.microBatcher.role !== undefined) {
      NagSuppressions.addResourceSuppressions(
        this.microBatcher.role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'EC2 network-interface actions for the Kafka event source poller have no resource-level permissions.',
            appliesTo: ['Resource::*'],
          },
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'The Kafka event source writes failed batches (one object each, keys chosen by Lambda) anywhere in the bucket of its own; put and list only.',
            appliesTo: [{ regex: '/^Resource::.*FailedBatches.*\\/\\*$/g' }],
          },
          {
            id: 'AwsSolutions-IAM4',
            reason:
              "The MSK event source attaches AWS's AWSLambdaMSKExecutionRole: describe the cluster, read its brokers and manage the poller's network interfaces, nothing else.",
            appliesTo: [
              'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaMSKExecutionRole',
            ],
          },
        ],
        true,
      );
    }
  }
}

/**
 * The EventBridge pattern of a task of `serviceName` in `clusterArn` reaching RUNNING. ECS sends
 * "ECS Task State Change" events from source aws.ecs with the task's `group` set to
 * `service:<service name>` for tasks a service started:
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
 */
export function jobManagerStartedPattern(clusterArn: string, serviceName: string): events.EventPattern {
  return {
    source: ['aws.ecs'],
    detailType: ['ECS Task State Change'],
    detail: {
      clusterArn: [clusterArn],
      group: [`service:${serviceName}`],
      lastStatus: ['RUNNING'],
      desiredStatus: ['RUNNING'],
    },
  };
}
