import { Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CLOUDWATCH_AGENT_IMAGE, cloudWatchAgentConfig, prometheusScrapeConfig } from '../flink-metrics.js';
import type { PublicImageCache } from './public-image-cache.js';

export interface MetricsSidecarProps {
  /** The task of the Flink process whose Prometheus reporter the agent scrapes on localhost. */
  readonly taskDefinition: ecs.TaskDefinition;
  /** Value of the Deployment dimension: the stack prefix. */
  readonly deployment: string;
  /** Which Flink process the task runs (jobmanager, taskmanager), a label on every sample. */
  readonly component: string;
  /** Where the agent writes its EMF records; CloudWatch turns them into metrics. */
  readonly metricsLogGroup: logs.ILogGroup;
  /** Where the agent's own log goes. */
  readonly logGroup: logs.ILogGroup;
  /** The account's cache of ECR Public images the agent image is pulled through. */
  readonly imageCache: PublicImageCache;
}

/**
 * The CloudWatch agent as a non-essential sidecar of a Flink task: it scrapes the Prometheus
 * reporter in the same task (awsvpc tasks share localhost, so no port is opened) and ships the
 * metrics of FLINK_METRICS as EMF. Should it stop, Flink keeps running.
 */
export class MetricsSidecar extends Construct {
  readonly container: ecs.ContainerDefinition;

  constructor(scope: Construct, id: string, props: MetricsSidecarProps) {
    super(scope, id);
    this.container = props.taskDefinition.addContainer('cloudwatch-agent', {
      containerName: 'cloudwatch-agent',
      image: props.imageCache.containerImage(CLOUDWATCH_AGENT_IMAGE, props.taskDefinition),
      essential: false,
      memoryReservationMiB: 128,
      environment: {
        CW_CONFIG_CONTENT: Stack.of(this).toJsonString(
          cloudWatchAgentConfig(props.metricsLogGroup.logGroupName),
        ),
        PROMETHEUS_CONFIG_CONTENT: prometheusScrapeConfig(props.deployment, props.component),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: 'cloudwatch-agent' }),
    });
    const taskRole = props.taskDefinition.taskRole;
    props.metricsLogGroup.grantWrite(taskRole);
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['logs:DescribeLogStreams'],
        resources: [props.metricsLogGroup.logGroupArn],
      }),
    );
  }
}
