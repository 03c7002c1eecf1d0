import { FunctionFolder } from '@apphub/observability/metric-names';
import { platformTopicSpecs, type TopicSpec, topicSpecHash } from '@apphub/topics/spec';
import { CustomResource, Duration } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { StreamingFunction, type StreamingFunctionProps } from './streaming-function.js';

/** The custom resource type of the topic set, as CloudFormation lists it. */
export const TOPICS_RESOURCE_TYPE = 'Custom::KafkaTopics';

/** The function's timeout; it answers CloudFormation 15 s before it, whatever happened. */
const FUNCTION_TIMEOUT = Duration.minutes(5);

export interface TopicManagerProps {
  /** The function's shared settings (project, layer, logs) and its VPC placement, next to Kafka. */
  readonly function: Pick<
    StreamingFunctionProps,
    'projectRoot' | 'layer' | 'externalModules' | 'logRetention' | 'network'
  >;
  /** The variables it reaches Kafka with (kafkaClientEnvironment) plus the log level. */
  readonly environment: Readonly<Record<string, string>>;
  /** The SCRAM credentials' secret, read at start, with SASL_SSL. */
  readonly secret?: secretsmanager.ISecret | undefined;
  /** The topics to keep. Default: platform.json's (platformTopicSpecs). */
  readonly topics?: readonly TopicSpec[];
  /**
   * A value that differs at every synth (the synth time), so every deploy updates the custom
   * resource and re-applies the spec, as `local:up` and the compose init container do at every start.
   */
  readonly deployNonce: string;
}

/**
 * The topic manager on AWS: a Lambda in the VPC (functions/topic-manager, logic in @apphub/topics)
 * behind a Lambda-backed custom resource. CloudFormation invokes it on every deploy: Create and Update
 * create missing topics, raise partitions and apply retention and the other settings; a partition
 * decrease fails the deploy with a one-line reason; Delete leaves every topic in place.
 */
export class TopicManager extends Construct {
  readonly function: lambda.IFunction;
  readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: TopicManagerProps) {
    super(scope, id);
    const topics = props.topics ?? platformTopicSpecs();
    this.function = new StreamingFunction(this, 'Handler', {
      ...props.function,
      name: FunctionFolder.topicManager,
      memoryMiB: 256,
      timeout: FUNCTION_TIMEOUT,
      environment: props.environment,
    }).function;
    props.secret?.grantRead(this.function);
    // A Lambda-backed custom resource (no provider framework): CloudFormation invokes the function
    // asynchronously with a pre-signed response URL, and the function answers it itself, so the reason
    // of a failed deploy is its one line (https://docs.aws.amazon.com/lambda/latest/dg/services-cloudformation.html).
    // ServiceTimeout bounds the wait should it never answer (default one hour):
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudformation-customresource.html
    this.resource = new CustomResource(this, 'Topics', {
      serviceToken: this.function.functionArn,
      resourceType: TOPICS_RESOURCE_TYPE,
      serviceTimeout: FUNCTION_TIMEOUT.plus(Duration.minutes(1)),
      properties: {
        Topics: JSON.stringify(topics),
        SpecHash: topicSpecHash(topics),
        DeployNonce: props.deployNonce,
      },
    });
  }
}
