import { platform } from '@apphub/platform/settings';
import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import type { AppOptions, MskOptions } from '../config.js';
import { KafkaEndpointParameters } from '../constructs/kafka-endpoint-parameters.js';
import { kafkaSecurityOf } from '../kafka-access.js';
import { suppressAwsCustomResourceFunction } from '../nag-patterns.js';

export interface KafkaStackProps extends StackProps {
  readonly options: AppOptions;
  /** The cluster's options (the options' `kafka` when kafkaMode is msk). */
  readonly msk: MskOptions;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * An MSK cluster for kafkaMode=msk: TLS between clients and brokers and inside the cluster,
 * encrypted at rest, broker logs in CloudWatch, reachable only from the Kafka security group's
 * sources (Flink, the event source poller, the topic manager and smoke Lambdas). Topics are never
 * created by use: the topic manager (FunctionsStack) creates and configures them on every deploy.
 */
export class KafkaStack extends Stack {
  readonly clusterArn: string;
  /**
   * The brokers' TLS endpoints (`b-1...:9094,b-2...:9094`), which CloudFormation does not return for
   * an MSK cluster: read once per deploy with MSK's GetBootstrapBrokers, as @aws-cdk/aws-msk-alpha does.
   */
  readonly bootstrapBrokersTls: string;

  constructor(scope: Construct, id: string, props: KafkaStackProps) {
    super(scope, id, props);
    const { options, msk: mskOptions } = props;
    const brokerLogs = new logs.LogGroup(this, 'BrokerLogs', {
      retention: options.logs.retentionDays as logs.RetentionDays,
    });
    const replication = Math.min(mskOptions.brokerNodes, 3);
    // Named after the version: KafkaVersionsList changes only by replacement, and a replacement
    // under the old name would fail.
    const configuration = new msk.CfnConfiguration(this, 'Configuration', {
      name: `${options.stackPrefix}-kafka-${mskOptions.kafkaVersion.replaceAll('.', '-')}`,
      kafkaVersionsList: [mskOptions.kafkaVersion],
      // No topic appears by a client's metadata request (a typo would create one silently): the topic
      // manager creates every topic with its spec. Flink's Kafka source never triggered auto-creation anyway.
      serverProperties: [
        'auto.create.topics.enable=false',
        `num.partitions=${platform.topics.input.partitions}`,
        `default.replication.factor=${replication}`,
        `min.insync.replicas=${Math.max(1, replication - 1)}`,
      ].join('\n'),
    });
    const cluster = new msk.CfnCluster(this, 'Cluster', {
      clusterName: `${options.stackPrefix}-kafka`,
      kafkaVersion: mskOptions.kafkaVersion,
      numberOfBrokerNodes: mskOptions.brokerNodes,
      brokerNodeGroupInfo: {
        instanceType: mskOptions.instanceType,
        clientSubnets: props.vpc.selectSubnets(props.subnets).subnetIds,
        securityGroups: [props.securityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: mskOptions.volumeSizeGiB } },
      },
      clientAuthentication: { unauthenticated: { enabled: true } },
      encryptionInfo: { encryptionInTransit: { clientBroker: 'TLS', inCluster: true } },
      configurationInfo: { arn: configuration.attrArn, revision: configuration.attrLatestRevisionRevision },
      loggingInfo: {
        brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } },
      },
    });
    this.clusterArn = cluster.attrArn;

    // https://docs.aws.amazon.com/msk/1.0/apireference/clusters-clusterarn-bootstrap-brokers.html:
    // BootstrapBrokerStringTls lists the TLS listeners (port 9094), the only client listeners the
    // cluster opens (encryptionInTransit.clientBroker TLS).
    const brokers = new cr.AwsCustomResource(this, 'BootstrapBrokers', {
      onUpdate: {
        service: 'Kafka',
        action: 'getBootstrapBrokers',
        parameters: { ClusterArn: cluster.attrArn },
        physicalResourceId: cr.PhysicalResourceId.of(cluster.attrArn),
      },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [cluster.attrArn] }),
      installLatestAwsSdk: false,
    });
    this.bootstrapBrokersTls = brokers.getResponseField('BootstrapBrokerStringTls');
    new KafkaEndpointParameters(this, 'KafkaEndpoint', {
      stackPrefix: options.stackPrefix,
      bootstrapServers: this.bootstrapBrokersTls,
      security: kafkaSecurityOf(mskOptions),
    });
    suppressAwsCustomResourceFunction(this, 'kafka:GetBootstrapBrokers on this cluster');
  }
}
