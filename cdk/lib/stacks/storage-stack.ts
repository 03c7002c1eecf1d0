import { type DatasetDescriptor, datasetRoot } from '@apphub/microbatcher';
import { platform, type TableKeySchema, tables } from '@apphub/platform';
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { AppOptions } from '../config.js';
import { FailedBatchDestination } from '../constructs/failed-batch-destination.js';
import { SecureBucket } from '../constructs/secure-bucket.js';

/** Key prefixes inside the checkpoint bucket; Flink and the savepoint Lambda both use them. */
export const CHECKPOINT_PREFIX = 'checkpoints';
export const SAVEPOINT_PREFIX = 'savepoints';

/**
 * Where the micro-batcher keeps a dataset's bad records (layers/microbatcher/src/layout.ts:
 * `<prefix>/<dataset>/dead-letter/...`); S3 lifecycle filters take literal prefixes, so one per dataset.
 */
export function deadLetterPrefix(dataset: DatasetDescriptor): string {
  return `${datasetRoot(dataset)}/dead-letter/`;
}

export interface StorageStackProps extends StackProps {
  readonly options: AppOptions;
}

/**
 * Buckets and tables named from infra/platform.json. Bucket names get the account and region
 * appended because S3 names are global; tables take their names and keys from @apphub/platform.
 */
export class StorageStack extends Stack {
  readonly checkpointBucket: s3.Bucket;
  readonly dataLakeBucket: s3.Bucket;
  readonly watermarkTable: dynamodb.Table;
  readonly jobsTable: dynamodb.Table;
  readonly savepointsTable: dynamodb.Table;
  readonly leasesTable: dynamodb.Table;
  /** The Kafka event sources' on-failure destination; present when onFailureDestination is s3. */
  readonly failedBatches?: FailedBatchDestination;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const { options } = props;
    const { storage } = platform;

    const accessLogs = new SecureBucket(this, 'AccessLogs', {
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    }).bucket;
    NagSuppressions.addResourceSuppressions(accessLogs, [
      { id: 'AwsSolutions-S1', reason: 'This is the access-log bucket; logging it into itself would loop.' },
    ]);

    this.checkpointBucket = new SecureBucket(this, 'Checkpoints', {
      bucketName: `${storage.checkpointBucket}-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
      accessLogsBucket: accessLogs,
      lifecycleRules: [
        {
          // A safety net behind the savepoint Lambda's own retention (max count / max age).
          id: 'expire-old-savepoints',
          prefix: `${SAVEPOINT_PREFIX}/`,
          expiration: Duration.days(options.savepointExpirationDays),
        },
      ],
    }).bucket;

    this.dataLakeBucket = new SecureBucket(this, 'DataLake', {
      bucketName: `${storage.dataLakeBucket}-${Aws.ACCOUNT_ID}-${Aws.REGION}`,
      accessLogsBucket: accessLogs,
      lifecycleRules: options.datasets.map((dataset) => ({
        id: `expire-dead-letters-${dataset.dataset}`,
        prefix: deadLetterPrefix(dataset),
        expiration: Duration.days(options.deadLetterExpirationDays),
      })),
    }).bucket;

    if (options.eventSource.onFailureDestination === 's3') {
      this.failedBatches = new FailedBatchDestination(this, 'FailedBatches', {
        accessLogsBucket: accessLogs,
        expirationDays: options.failedBatchExpirationDays,
        logRetention: options.logRetentionDays as logs.RetentionDays,
      });
      new CfnOutput(this, 'FailedBatchBucketName', {
        description:
          'Failed Kafka batches of the micro-batcher (docs/microbatcher.md, Failed batches and replay)',
        value: this.failedBatches.bucket.bucketName,
      });
    }

    this.watermarkTable = this.createTable('Watermarks', tables.watermarks);
    this.jobsTable = this.createTable('Jobs', tables.jobs);
    this.savepointsTable = this.createTable('Savepoints', tables.savepoints);
    // Leases a crashed run never released expire by DynamoDB TTL (the control plane writes the attribute).
    this.leasesTable = this.createTable('Leases', tables.leases, 'expiresAtSeconds');
  }

  /** A table with the key schema the local stack creates too (`tables` of @apphub/platform). */
  private createTable(id: string, schema: TableKeySchema, timeToLiveAttribute?: string): dynamodb.Table {
    return new dynamodb.Table(this, id, {
      tableName: schema.tableName,
      partitionKey: { name: schema.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: schema.sortKey ? { name: schema.sortKey, type: dynamodb.AttributeType.STRING } : undefined,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      timeToLiveAttribute,
    });
  }
}
