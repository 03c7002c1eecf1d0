import { platform } from '@apphub/platform';
import { Stack, type StackProps } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import type { Construct } from 'constructs';
import type { AppOptions } from '../config.js';

export interface KafkaStackProps extends StackProps {
  readonly options: AppOptions;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * An MSK cluster for kafkaMode=msk: TLS between clients and brokers and inside the cluster,
 * encrypted at rest, broker logs in CloudWatch, reachable only from the Kafka security group's
 * sources (Flink and the event source poller). Topics are created on first use with the
 * platform's partition count.
 */
export class KafkaStack extends Stack {
  readonly clusterArn: string;

  constructor(scope: Construct, id: string, props: KafkaStackProps) {
    super(scope, id, props);
    const { options } = props;
    const brokerLogs = new logs.LogGroup(this, 'BrokerLogs', {
      retention: options.logRetentionDays as logs.RetentionDays,
    });
    const replication = Math.min(options.mskBrokerNodes, 3);
    // Named after the version: KafkaVersionsList changes only by replacement, and a replacement
    // under the old name would fail.
    const configuration = new msk.CfnConfiguration(this, 'Configuration', {
      name: `${options.stackPrefix}-kafka-${options.mskKafkaVersion.replaceAll('.', '-')}`,
      kafkaVersionsList: [options.mskKafkaVersion],
      serverProperties: [
        'auto.create.topics.enable=true',
        `num.partitions=${platform.topics.input.partitions}`,
        `default.replication.factor=${replication}`,
        `min.insync.replicas=${Math.max(1, replication - 1)}`,
      ].join('\n'),
    });
    const cluster = new msk.CfnCluster(this, 'Cluster', {
      clusterName: `${options.stackPrefix}-kafka`,
      kafkaVersion: options.mskKafkaVersion,
      numberOfBrokerNodes: options.mskBrokerNodes,
      brokerNodeGroupInfo: {
        instanceType: options.mskInstanceType,
        clientSubnets: props.vpc.selectSubnets(props.subnets).subnetIds,
        securityGroups: [props.securityGroup.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: options.mskVolumeSizeGiB } },
      },
      clientAuthentication: { unauthenticated: { enabled: true } },
      encryptionInfo: { encryptionInTransit: { clientBroker: 'TLS', inCluster: true } },
      configurationInfo: { arn: configuration.attrArn, revision: configuration.attrLatestRevisionRevision },
      loggingInfo: {
        brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } },
      },
    });
    this.clusterArn = cluster.attrArn;
  }
}
