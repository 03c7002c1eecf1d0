import type { KafkaSecurity } from '@apphub/platform/settings';
import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

export interface KafkaEndpointParametersProps {
  /** The deployment's stack prefix: the parameters live under `/<stackPrefix>/kafka/`. */
  readonly stackPrefix: string;
  /** The brokers clients connect to, `host:port,host:port` (a token for a created MSK cluster). */
  readonly bootstrapServers: string;
  /** How clients reach them. */
  readonly security: KafkaSecurity;
}

/** SSM parameter names of a deployment's Kafka endpoint, for producers and consumers in the VPC. */
export function kafkaParameterNames(stackPrefix: string) {
  return {
    bootstrapServers: `/${stackPrefix}/kafka/bootstrap-servers`,
    securityProtocol: `/${stackPrefix}/kafka/security-protocol`,
  } as const;
}

/**
 * Publishes where AppHub's services find the deployment's Kafka: the bootstrap servers and the
 * security protocol as SSM String parameters (read at a service's start, so a replaced cluster
 * needs no redeploy of the services) and as stack outputs.
 */
export class KafkaEndpointParameters extends Construct {
  readonly bootstrapServers: ssm.StringParameter;
  readonly securityProtocol: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: KafkaEndpointParametersProps) {
    super(scope, id);
    const names = kafkaParameterNames(props.stackPrefix);
    this.bootstrapServers = new ssm.StringParameter(this, 'BootstrapServers', {
      parameterName: names.bootstrapServers,
      stringValue: props.bootstrapServers,
      description: `Kafka bootstrap servers of ${props.stackPrefix} (protocol: ${names.securityProtocol})`,
    });
    this.securityProtocol = new ssm.StringParameter(this, 'SecurityProtocol', {
      parameterName: names.securityProtocol,
      stringValue: props.security.protocol,
      description: `Kafka security.protocol for the brokers of ${names.bootstrapServers}`,
    });
    const stack = Stack.of(this);
    new CfnOutput(stack, 'KafkaBootstrapServers', {
      value: props.bootstrapServers,
      description: `Kafka bootstrap servers (also SSM ${names.bootstrapServers})`,
    });
    new CfnOutput(stack, 'KafkaSecurityProtocol', {
      value: props.security.protocol,
      description: `Kafka security.protocol (also SSM ${names.securityProtocol})`,
    });
  }
}
