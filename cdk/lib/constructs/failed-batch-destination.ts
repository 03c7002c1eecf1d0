import { REPLAYED_PREFIX } from '@apphub/microbatcher/dataset';
import { ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { SecureBucket } from './secure-bucket.js';

export interface FailedBatchDestinationProps {
  readonly accessLogsBucket: s3.IBucket;
  /** Days a failed batch is kept before it expires (it should be replayed long before). */
  readonly expirationDays: number;
  /** Retention of the log of objects that landed. */
  readonly logRetention: logs.RetentionDays;
}

/** How long replayed objects (moved under replayed/) and overwritten or deleted versions are kept. */
const REPLAYED_RETENTION = Duration.days(30);

/**
 * The on-failure destination of the micro-batcher's Kafka event sources: a bucket of its own that
 * receives Lambda's whole invocation record (metadata and the batch) for every batch whose retries
 * ran out, and an EventBridge rule that matches each object Lambda writes there and logs it; the
 * rule's TriggeredRules metric is the alarm's signal.
 *
 * Why EventBridge and not S3 request metrics: a request-metrics filter cannot leave out the replay
 * tool's moves under replayed/ (they are PUTs too), and Lambda does not document the key prefix of
 * Kafka failed batches, while an EventBridge pattern can match every key except replayed/. The log
 * names each object, which is the URI to pass to `npm run batcher -- --replay`.
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
 */
export class FailedBatchDestination extends Construct {
  readonly bucket: s3.Bucket;
  /** Matches every object created in the bucket except under replayed/. */
  readonly landedRule: events.Rule;
  /** One entry (the S3 event) per failed batch that landed. */
  readonly landedLog: logs.LogGroup;
  private readonly writers = new Set<lambda.IFunction>();

  constructor(scope: Construct, id: string, props: FailedBatchDestinationProps) {
    super(scope, id);
    // Versioned, as the Lambda docs recommend for this destination: a deleted object stays
    // recoverable for REPLAYED_RETENTION. Only the function's role may write; nothing is granted read.
    this.bucket = new SecureBucket(this, 'Bucket', {
      accessLogsBucket: props.accessLogsBucket,
      versioned: true,
      lifecycleRules: [
        { id: 'expire-failed-batches', expiration: Duration.days(props.expirationDays) },
        { id: 'expire-replayed-batches', prefix: REPLAYED_PREFIX, expiration: REPLAYED_RETENTION },
        { id: 'expire-old-versions', noncurrentVersionExpiration: REPLAYED_RETENTION },
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
      ],
    }).bucket;
    // The bucket's EventBridge switch as a plain CloudFormation property: CDK's eventBridgeEnabled
    // would deploy a custom-resource Lambda to set it.
    (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };

    // EventBridge lists only log groups under /aws/events as targets; the stack name keeps two
    // deployments apart. https://repost.aws/knowledge-center/cloudwatch-log-group-eventbridge
    this.landedLog = new logs.LogGroup(this, 'LandedLog', {
      logGroupName: `/aws/events/${Stack.of(this).stackName}/failed-batches`,
      retention: props.logRetention,
    });
    // EventBridge writes to a log group through its resource policy (CDK's log-group target would
    // set it with a custom resource). One resource policy; CloudWatch Logs allows 10 per region.
    new logs.ResourcePolicy(this, 'LandedLogPolicy', {
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.landedLog.logGroupArn],
        }),
      ],
    });
    const logGroupArn = Stack.of(this).formatArn({
      service: 'logs',
      resource: 'log-group',
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      resourceName: this.landedLog.logGroupName,
    });
    this.landedRule = new events.Rule(this, 'Landed', {
      description: 'A failed Kafka batch landed in the micro-batcher on-failure bucket.',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [this.bucket.bucketName] },
          object: { key: events.Match.anythingButPrefix(REPLAYED_PREFIX) },
        },
      },
      targets: [{ bind: () => ({ id: 'LandedLog', arn: logGroupArn }) }],
    });
  }

  /** Objects that landed (rule matches) per period; AWS/Events, dimension RuleName. */
  metricLanded(period = Duration.minutes(5)): cloudwatch.Metric {
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html
    return new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'TriggeredRules',
      dimensionsMap: { RuleName: this.landedRule.ruleName },
      statistic: 'Sum',
      period,
    });
  }

  /**
   * The destination for a Kafka event source. Lambda writes with the function's execution role,
   * which needs s3:PutObject and s3:ListBucket on the bucket, limited to this account's buckets as
   * the docs advise; CDK's S3OnFailureDestination would grant read and delete too.
   * https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html
   */
  eventSourceDestination(): lambda.IEventSourceDlq {
    return {
      bind: (_mapping, fn) => {
        if (!this.writers.has(fn)) {
          this.writers.add(fn);
          fn.addToRolePolicy(
            new iam.PolicyStatement({
              actions: ['s3:PutObject', 's3:ListBucket'],
              resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
              conditions: { StringEquals: { 's3:ResourceAccount': Aws.ACCOUNT_ID } },
            }),
          );
        }
        return { destination: this.bucket.bucketArn };
      },
    };
  }
}
