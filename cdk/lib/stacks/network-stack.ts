import { platform } from '@apphub/platform/settings';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { AppOptions, VpcOptions } from '../config.js';
import { KafkaEndpointParameters } from '../constructs/kafka-endpoint-parameters.js';
import { kafkaSecurityOf } from '../kafka-access.js';

/** MSK's TLS listener for unauthenticated clients (the only client listener the created cluster opens). */
export const MSK_TLS_PORT = 9094;

export interface NetworkStackProps extends StackProps {
  readonly options: AppOptions;
}

/** `6130-6150` from platform.json as an EC2 port range. */
function portRange(range: string): ec2.Port {
  const [from, to] = range.split('-').map(Number) as [number, number];
  return ec2.Port.tcpRange(from, to);
}

/**
 * The VPC (created, or imported by id) and every security group with its rules, so who may talk to
 * whom is readable in one place: Flink REST and the SQL Gateway only from the control-plane Lambdas
 * and from inside the Flink cluster, never from an address range.
 */
export class NetworkStack extends Stack {
  readonly vpc: ec2.IVpc;
  /** Control-plane Lambdas, the topic manager and smoke Lambdas (and the self-managed Kafka event source poller). */
  readonly functionSecurityGroup: ec2.SecurityGroup;
  /** Every Flink task: JobManager, TaskManagers, SQL Gateway. */
  readonly flinkSecurityGroup: ec2.SecurityGroup;
  /** The MSK brokers and the MSK event source poller; present when kafkaMode is msk. */
  readonly kafkaSecurityGroup?: ec2.SecurityGroup;
  /**
   * For AppHub's services that produce to or consume from the MSK cluster: the brokers admit it on
   * the TLS port. Exported as `<stackPrefix>-KafkaClientSecurityGroupId`; present when kafkaMode is msk.
   */
  readonly kafkaClientSecurityGroup?: ec2.SecurityGroup;
  /** Where Flink tasks and VPC Lambdas run. */
  readonly privateSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { options } = props;
    const { vpc, kafka } = options;
    this.vpc =
      vpc.kind === 'imported'
        ? ec2.Vpc.fromVpcAttributes(this, 'ImportedVpc', {
            vpcId: vpc.id,
            availabilityZones: [...vpc.availabilityZones],
            privateSubnetIds: [...vpc.privateSubnetIds],
          })
        : this.createVpc(vpc, options);

    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'AppHub streaming control-plane Lambdas',
      allowAllOutbound: true,
    });
    this.flinkSecurityGroup = new ec2.SecurityGroup(this, 'FlinkSecurityGroup', {
      vpc: this.vpc,
      description: 'AppHub streaming Flink JobManager, TaskManagers and SQL Gateway',
      allowAllOutbound: true,
    });

    const { ports } = platform;
    const flinkRest = ec2.Port.tcp(ports.flinkRest);
    const sqlGateway = ec2.Port.tcp(ports.sqlGateway);
    this.flinkSecurityGroup.addIngressRule(
      this.functionSecurityGroup,
      flinkRest,
      'Flink REST from control plane',
    );
    this.flinkSecurityGroup.addIngressRule(
      this.functionSecurityGroup,
      sqlGateway,
      'SQL Gateway from control plane',
    );
    const withinCluster: ReadonlyArray<[ec2.Port, string]> = [
      [flinkRest, 'Flink REST (SQL Gateway to JobManager)'],
      [ec2.Port.tcp(ports.jobManagerRpc), 'JobManager RPC'],
      [ec2.Port.tcp(ports.blobServer), 'JobManager blob server'],
      [portRange(ports.taskManagerRpcRange), 'TaskManager RPC'],
      [portRange(ports.taskManagerDataRange), 'TaskManager data exchange'],
      [portRange(ports.metricsQueryServiceRange), 'Metric query service (JobManager to every process)'],
    ];
    for (const [port, description] of withinCluster) {
      this.flinkSecurityGroup.addIngressRule(this.flinkSecurityGroup, port, description);
    }

    if (kafka.mode === 'msk') {
      this.kafkaSecurityGroup = new ec2.SecurityGroup(this, 'KafkaSecurityGroup', {
        vpc: this.vpc,
        description: 'AppHub streaming MSK brokers and the Lambda event source poller',
        allowAllOutbound: true,
      });
      const kafkaTls = ec2.Port.tcp(MSK_TLS_PORT);
      this.kafkaSecurityGroup.addIngressRule(this.flinkSecurityGroup, kafkaTls, 'Kafka TLS from Flink');
      // The MSK event source mapping polls from ENIs in the cluster's own security group.
      this.kafkaSecurityGroup.addIngressRule(
        this.kafkaSecurityGroup,
        kafkaTls,
        'Kafka TLS from the event source poller',
      );
      // The topic manager (a custom resource run on every deploy) and the smoke Lambda.
      this.kafkaSecurityGroup.addIngressRule(
        this.functionSecurityGroup,
        kafkaTls,
        'Kafka TLS from the topic manager and smoke Lambdas',
      );
      this.kafkaClientSecurityGroup = new ec2.SecurityGroup(this, 'KafkaClientSecurityGroup', {
        vpc: this.vpc,
        description: 'AppHub services that produce to or consume from the streaming Kafka cluster',
        allowAllOutbound: true,
      });
      this.kafkaSecurityGroup.addIngressRule(
        this.kafkaClientSecurityGroup,
        kafkaTls,
        'Kafka TLS from AppHub services (producers and consumers)',
      );
      new CfnOutput(this, 'KafkaClientSecurityGroupId', {
        value: this.kafkaClientSecurityGroup.securityGroupId,
        description:
          'Attach to an AppHub service (ECS task, Lambda, EC2) that produces to or consumes from Kafka',
        exportName: `${options.stackPrefix}-KafkaClientSecurityGroupId`,
      });
    } else {
      // Existing brokers: their security groups are the owner's; the endpoint is published all the same.
      new KafkaEndpointParameters(this, 'KafkaEndpoint', {
        stackPrefix: options.stackPrefix,
        bootstrapServers: kafka.bootstrapServers.join(','),
        security: kafkaSecurityOf(kafka),
      });
    }
  }

  private createVpc(
    created: Extract<VpcOptions, { readonly kind: 'created' }>,
    options: AppOptions,
  ): ec2.IVpc {
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: created.maxAzs,
      natGateways: created.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      // S3 and DynamoDB traffic (checkpoints, savepoints, control-plane tables) stays off the NAT.
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: options.logs.retentionDays as logs.RetentionDays,
    });
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });
    // Vpc declares the optional IVpc member vpnGatewayId as `string | undefined`, which
    // exactOptionalPropertyTypes refuses: https://github.com/aws/aws-cdk/issues/37995
    return vpc as ec2.IVpc;
  }
}
