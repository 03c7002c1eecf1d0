import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';

export interface FlinkServiceProps {
  readonly cluster: ecs.ICluster;
  readonly image: ecs.ContainerImage;
  /** Container command, e.g. ['jobmanager'] (the Flink image's entrypoint applies FLINK_PROPERTIES). */
  readonly command: readonly string[];
  /** Environment of the container; FLINK_PROPERTIES carries the Flink settings. */
  readonly environment: Readonly<Record<string, string>>;
  /** Container variables ECS fills from Secrets Manager at start (never written into the task definition). */
  readonly secrets?: Readonly<Record<string, ecs.Secret>>;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly desiredCount: number;
  /**
   * True when something else scales the service after it is created (the rescale function): the
   * template then carries no DesiredCount, so a deploy keeps the count it finds, and `desiredCount`
   * is set once, when the service is created or replaced, and when `desiredCount` itself changes.
   * Default: false (the template's DesiredCount applies at every deploy).
   */
  readonly countOwnedAfterCreation?: boolean;
  /** Ports the container listens on (documentation for the task; awsvpc needs no host mapping). */
  readonly containerPorts?: readonly number[];
  readonly securityGroup: ec2.ISecurityGroup;
  readonly subnets: ec2.SubnetSelection;
  /** Name registered in the cluster's Cloud Map namespace. Default: not registered. */
  readonly discoveryName?: string;
  /**
   * True for a singleton that must never run twice (the JobManager without HA): the old task stops
   * before the new one starts. Default: false (rolling replacement).
   */
  readonly singleton?: boolean;
  readonly logRetention: logs.RetentionDays;
  /**
   * Turns on ECS Exec, so an operator can forward a port of the task (the Flink UI) through
   * Session Manager. Default: false.
   */
  readonly execCommand?: boolean;
  /** HTTP path on `127.0.0.1:<healthPort>` that answers 2xx when the component is up. Default: no health check. */
  readonly health?: { readonly port: number; readonly path: string };
}

/**
 * One Flink component as a Fargate service: its own task role (granted by the caller), its own log
 * group, private subnets only and no public IP.
 */
export class FlinkService extends Construct {
  readonly service: ecs.FargateService;
  readonly taskRole: iam.IRole;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: FlinkServiceProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention });
    const taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    taskDefinition.addContainer('flink', {
      image: props.image,
      command: [...props.command],
      environment: { ...props.environment },
      ...(props.secrets ? { secrets: { ...props.secrets } } : {}),
      portMappings: (props.containerPorts ?? []).map((containerPort) => ({ containerPort })),
      logging: ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: id.toLowerCase() }),
      stopTimeout: Duration.seconds(60),
      // The image ships curl (infra/flink-image); ECS replaces a task whose REST endpoint stops answering.
      ...(props.health && {
        healthCheck: {
          command: [
            'CMD-SHELL',
            `curl -fsS http://127.0.0.1:${props.health.port}${props.health.path} || exit 1`,
          ],
          interval: Duration.seconds(30),
          timeout: Duration.seconds(5),
          retries: 3,
          startPeriod: Duration.seconds(120),
        },
      }),
    });
    NagSuppressions.addResourceSuppressions(taskDefinition, [
      {
        id: 'AwsSolutions-ECS2',
        reason:
          'The environment carries Flink settings (FLINK_PROPERTIES): addresses and tuning, no secrets.',
      },
    ]);
    this.taskRole = taskDefinition.taskRole;

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition,
      ...(props.countOwnedAfterCreation ? {} : { desiredCount: props.desiredCount }),
      securityGroups: [props.securityGroup],
      vpcSubnets: props.subnets,
      assignPublicIp: false,
      minHealthyPercent: props.singleton ? 0 : 50,
      maxHealthyPercent: props.singleton ? 100 : 200,
      circuitBreaker: { rollback: true },
      enableExecuteCommand: props.execCommand ?? false,
      ...(props.discoveryName && {
        cloudMapOptions: { name: props.discoveryName, dnsTtl: Duration.seconds(10) },
      }),
    });
    if (props.countOwnedAfterCreation) this.setCountOnCreation(props.desiredCount);
    // After the service: ECS Exec adds its statements to the task role when the service is created.
    if (props.execCommand) {
      NagSuppressions.addResourceSuppressions(
        this.taskRole,
        [
          {
            id: 'AwsSolutions-IAM5',
            reason:
              'ECS Exec: the Session Manager channel actions (ssmmessages:Create/OpenControlChannel, Create/OpenDataChannel) have no resource-level permissions.',
            appliesTo: ['Resource::*'],
          },
        ],
        true,
      );
    }
  }

  /**
   * Without DesiredCount, CloudFormation creates a service with a desired count of 1 and, on an
   * update, keeps the count the service has (AWS::ECS::Service DesiredCount,
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ecs-service.html#cfn-ecs-service-desiredcount;
   * the CDK's removeDefaultDesiredCount flag rests on the same rule, aws/aws-cdk#13130).
   * This sets the configured count once the service exists; its properties change only with the
   * service (a replacement) or with the configured count, so no other deploy touches the count.
   */
  private setCountOnCreation(count: number): void {
    const { serviceName, serviceArn, cluster } = this.service;
    new cr.AwsCustomResource(this, 'InitialCount', {
      onUpdate: {
        service: 'ECS',
        action: 'updateService',
        parameters: { cluster: cluster.clusterName, service: serviceName, desiredCount: count },
        physicalResourceId: cr.PhysicalResourceId.of(`${serviceArn}:${count}`),
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [serviceArn] }),
      installLatestAwsSdk: false,
    });
  }
}
