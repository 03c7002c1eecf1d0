import { platform, toFlinkYaml } from '@apphub/platform/settings';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { AppOptions } from '../config.js';
import { FlinkService } from '../constructs/flink-service.js';
import { MetricsSidecar } from '../constructs/metrics-sidecar.js';
import { PublicImageCache } from '../constructs/public-image-cache.js';
import { flinkImageAsset } from '../flink-image.js';
import {
  assertSelfContainedCheckpoints,
  JOB_MANAGER_SERVICE_NAME,
  renderEcsFlinkSettings,
  renderSqlGatewaySettings,
  SQL_GATEWAY_SERVICE_NAME,
  serviceHost,
} from '../flink-settings.js';
import { kafkaSecretArnOf, kafkaSecurityOf } from '../kafka-access.js';
import { objectsUnder, S3_GRANT_ACTIONS, suppressAwsCustomResourceFunction } from '../nag-patterns.js';
import { CHECKPOINT_PREFIX, SAVEPOINT_PREFIX } from './storage-stack.js';

export interface FlinkStackProps extends StackProps {
  readonly options: AppOptions;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  readonly checkpointBucket: s3.IBucket;
  /** Directory of the Flink image recipe (a Dockerfile taking FLINK_VERSION and KAFKA_CONNECTOR_VERSION). */
  readonly imageDirectory: string;
}

/**
 * A Flink session cluster on ECS Fargate: one JobManager, N TaskManagers (rescaled by the control plane),
 * and the SQL Gateway, found through Cloud Map inside the VPC. Fargate because every task gets its
 * own ENI and security group (Flink REST is reachable only through security-group rules) and its
 * own task role, with no container hosts to patch or scale.
 */
export class FlinkStack extends Stack {
  /** APPHUB_FLINK_REST_URL for clients inside the VPC. */
  readonly flinkRestUrl: string;
  /** APPHUB_SQL_GATEWAY_URL for clients inside the VPC. */
  readonly sqlGatewayUrl: string;
  /** The Cloud Map namespace the JobManager and SQL Gateway are registered in. */
  readonly namespaceName: string;
  readonly cluster: ecs.ICluster;
  readonly jobManager: FlinkService;
  readonly taskManagers: FlinkService;
  readonly sqlGateway: FlinkService;
  /** Where the metrics sidecars write EMF (CloudWatch namespace FLINK_METRIC_NAMESPACE). */
  readonly metricsLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FlinkStackProps) {
    super(scope, id, props);
    const { options } = props;
    const { flink } = options;
    const namespace = flink.serviceDiscoveryNamespace;
    this.namespaceName = namespace;
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      defaultCloudMapNamespace: {
        name: namespace,
        type: servicediscovery.NamespaceType.DNS_PRIVATE,
        vpc: props.vpc,
      },
      // Cluster declares the optional ICluster member defaultCloudMapNamespace as `INamespace |
      // undefined`, which exactOptionalPropertyTypes refuses (aws/aws-cdk#37995's pattern).
    }) as ecs.ICluster;

    const imageAsset = flinkImageAsset(props.imageDirectory);
    const image = ecs.ContainerImage.fromAsset(imageAsset.directory, imageAsset.options);
    const settings = renderEcsFlinkSettings({
      namespace,
      checkpointBucket: props.checkpointBucket.bucketName,
      jobManagerMemoryMiB: flink.jobManager.memoryMiB,
      taskManagerMemoryMiB: flink.taskManager.memoryMiB,
      checkpointInterval: flink.checkpointInterval,
    });
    // The checkpoint bucket this stack creates expires checkpoints by age (StorageStack).
    if (options.storage.existingCheckpointBucket === undefined) assertSelfContainedCheckpoints(settings);
    const shared = {
      cluster: this.cluster,
      image,
      securityGroup: props.securityGroup,
      subnets: props.subnets,
      logRetention: options.logs.retentionDays as logs.RetentionDays,
    };
    // SASL/SCRAM credentials for the Kafka clients of the jobs (the JobManager's split enumerator and the
    // TaskManagers' readers and writers), from the secret the event source reads too; the table options
    // name only the variables (kafkaSecurityOf).
    const kafkaSecurity = kafkaSecurityOf(options.kafka);
    const kafkaSecretArn = kafkaSecretArnOf(options.kafka);
    const kafkaSecrets =
      kafkaSecurity.protocol === 'SASL_SSL' && kafkaSecretArn
        ? (() => {
            const secret = secretsmanager.Secret.fromSecretCompleteArn(this, 'KafkaSecret', kafkaSecretArn);
            return {
              secrets: {
                [kafkaSecurity.usernameVariable]: ecs.Secret.fromSecretsManager(secret, 'username'),
                [kafkaSecurity.passwordVariable]: ecs.Secret.fromSecretsManager(secret, 'password'),
              },
            };
          })()
        : {};

    this.jobManager = new FlinkService(this, 'JobManager', {
      ...shared,
      command: ['jobmanager'],
      environment: { FLINK_PROPERTIES: toFlinkYaml(settings) },
      ...kafkaSecrets,
      cpu: flink.jobManager.cpu,
      memoryMiB: flink.jobManager.memoryMiB,
      desiredCount: 1,
      singleton: true,
      containerPorts: [platform.ports.flinkRest, platform.ports.jobManagerRpc, platform.ports.blobServer],
      discoveryName: JOB_MANAGER_SERVICE_NAME,
      health: { port: platform.ports.flinkRest, path: '/overview' },
      // The Flink UI is reached by ECS Exec port forwarding (docs/deploy.md), never through a listener.
      execCommand: true,
    });

    // No CPU autoscaling: more TaskManagers give a running job no parallelism, and ECS scale-in stops
    // tasks that run its operators. The rescale function changes the count instead, around a
    // stop-with-savepoint and a restore with the new parallelism, so after creation the count is
    // the control plane's: a deploy keeps what a rescale set.
    this.taskManagers = new FlinkService(this, 'TaskManager', {
      ...shared,
      command: ['taskmanager'],
      environment: { FLINK_PROPERTIES: toFlinkYaml(settings) },
      ...kafkaSecrets,
      cpu: flink.taskManager.cpu,
      memoryMiB: flink.taskManager.memoryMiB,
      desiredCount: flink.taskManager.count,
      countOwnedAfterCreation: true,
    });

    // The image's entrypoint writes FLINK_PROPERTIES into conf/config.yaml before any command, a
    // pass-through one included (apache/flink-docker docker-entrypoint.sh). The gateway must get its
    // settings that way, as in compose: sql-gateway.sh reads any argument list containing "-h"
    // (-Djobmanager.bind-host=...) as a help request and starts the gateway without exec, log4j
    // config or Java 17 options (apache/flink flink-table/flink-sql-gateway/bin/sql-gateway.sh).
    const gatewaySettings = renderSqlGatewaySettings(settings, namespace);
    this.sqlGateway = new FlinkService(this, 'SqlGateway', {
      ...shared,
      command: ['/opt/flink/bin/sql-gateway.sh', 'start-foreground'],
      environment: { FLINK_PROPERTIES: toFlinkYaml(gatewaySettings) },
      cpu: flink.sqlGateway.cpu,
      memoryMiB: flink.sqlGateway.memoryMiB,
      desiredCount: 1,
      containerPorts: [platform.ports.sqlGateway],
      discoveryName: SQL_GATEWAY_SERVICE_NAME,
      health: { port: platform.ports.sqlGateway, path: '/api_versions' },
    });

    // Flink's own metrics (numRestarts, checkpoints, registered TaskManagers, lag, busy time) reach
    // CloudWatch through a CloudWatch agent beside each JobManager and TaskManager.
    this.metricsLogGroup = new logs.LogGroup(this, 'MetricsLogs', {
      retention: options.logs.retentionDays as logs.RetentionDays,
    });
    const imageCache = new PublicImageCache(this, 'PublicImageCache', { stackPrefix: options.stackPrefix });
    for (const [component, flinkService] of [
      ['jobmanager', this.jobManager],
      ['taskmanager', this.taskManagers],
    ] as const) {
      new MetricsSidecar(flinkService, 'Metrics', {
        taskDefinition: flinkService.service.taskDefinition,
        deployment: options.stackPrefix,
        component,
        metricsLogGroup: this.metricsLogGroup,
        logGroup: flinkService.logGroup,
        imageCache,
      });
    }

    // JobManager and TaskManagers write and clean up checkpoints and savepoints; nothing else.
    for (const role of [this.jobManager.taskRole, this.taskManagers.taskRole]) {
      props.checkpointBucket.grantReadWrite(role, `${CHECKPOINT_PREFIX}/*`);
      props.checkpointBucket.grantReadWrite(role, `${SAVEPOINT_PREFIX}/*`);
      props.checkpointBucket.grantDelete(role, `${CHECKPOINT_PREFIX}/*`);
      props.checkpointBucket.grantDelete(role, `${SAVEPOINT_PREFIX}/*`);
    }
    this.suppressGrantWildcards([this.jobManager.taskRole, this.taskManagers.taskRole]);
    this.suppressExecutionRoles([this.jobManager, this.taskManagers, this.sqlGateway]);
    suppressAwsCustomResourceFunction(
      this,
      'ecs:UpdateService on the TaskManager service, once per creation',
    );

    // What the ECS Exec port-forwarding commands of docs/deploy.md look up.
    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName });
    new CfnOutput(this, 'JobManagerServiceName', { value: this.jobManager.service.serviceName });

    this.flinkRestUrl = `http://${serviceHost(JOB_MANAGER_SERVICE_NAME, namespace)}:${platform.ports.flinkRest}`;
    this.sqlGatewayUrl = `http://${serviceHost(SQL_GATEWAY_SERVICE_NAME, namespace)}:${platform.ports.sqlGateway}`;
  }

  private suppressGrantWildcards(roles: readonly iam.IRole[]): void {
    for (const role of roles) {
      NagSuppressions.addResourceSuppressions(
        role,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'Flink creates one object per checkpoint file under checkpoints/ and savepoints/; the grant is limited to those two prefixes of the checkpoint bucket, with the object actions S3 groups by wildcard (Get/Put/Delete/Abort).',
            appliesTo: [S3_GRANT_ACTIONS, objectsUnder(CHECKPOINT_PREFIX, SAVEPOINT_PREFIX)],
          },
        ],
        true,
      );
    }
  }

  private suppressExecutionRoles(services: readonly FlinkService[]): void {
    for (const flinkService of services) {
      const executionRole = flinkService.service.taskDefinition.executionRole;
      if (executionRole === undefined) continue;
      NagSuppressions.addResourceSuppressions(
        executionRole,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'ecr:GetAuthorizationToken has no resource-level permissions; image pulls are limited to the asset repository.',
            appliesTo: ['Resource::*'],
          },
        ],
        true,
      );
    }
  }
}
