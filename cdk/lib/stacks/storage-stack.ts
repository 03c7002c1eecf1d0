import { type DatasetDescriptor, datasetRoot, SEALED_PART_TAG } from '@apphub/microbatcher/dataset';
import { platform, type TableKeySchema, tables } from '@apphub/platform/settings';
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import type { AppOptions, TableKey } from '../config.js';
import { FailedBatchDestination } from '../constructs/failed-batch-destination.js';
import { SecureBucket } from '../constructs/secure-bucket.js';
import { lakehouseTableInput } from '../lakehouse.js';

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

/** Where the micro-batcher writes a dataset's hot parts (layers/microbatcher/src/layout.ts). */
export function hotPartPrefix(dataset: DatasetDescriptor): string {
  return `${datasetRoot(dataset)}/hot/`;
}

/**
 * The object tag the micro-batcher sets on a hot part once a published manifest and its compacted
 * part cover it (layers/microbatcher/src/layout.ts); hot parts expire only with it.
 */
export { SEALED_PART_TAG };

/** `apphub-flink-checkpoints` -> `ApphubFlinkCheckpoints`: the platform name as a construct id. */
function constructIdOf(platformName: string): string {
  return platformName
    .split(/[-_]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/**
 * How IAM policies name the data-lake bucket: its logical id when created here (the id starts
 * with it), its name when attached.
 */
export function dataLakeBucketReference(options: AppOptions): string {
  return options.storage.existingDataLakeBucket ?? constructIdOf(platform.storage.dataLakeBucket);
}

/** The Glue database of a deployment: its stack prefix, as Athena names go (lowercase, underscores). */
export function lakehouseDatabaseName(stackPrefix: string): string {
  return `${stackPrefix.toLowerCase().replaceAll('-', '_')}_lake`;
}

export interface StorageStackProps extends StackProps {
  readonly options: AppOptions;
}

/**
 * The buckets and the platform's tables. CloudFormation names them (stack name, logical id and a
 * random suffix; the logical ids start with the platform names, e.g. ApphubFlinkCheckpoints), so
 * two deployments coexist in one account and region, and a deploy after `cdk destroy` (which
 * retains buckets and tables) never finds its name taken. Retained storage of an earlier deployment
 * is attached by name instead (existingCheckpointBucket, existingDataLakeBucket, existingTables).
 */
export class StorageStack extends Stack {
  readonly checkpointBucket: s3.IBucket;
  readonly dataLakeBucket: s3.IBucket;
  /** The Glue database of the sealed datasets (one table per dataset). */
  readonly lakehouse: glue.CfnDatabase;
  /** One table per entry of `tables` (@apphub/platform), created or attached. */
  readonly tables: Readonly<Record<TableKey, dynamodb.ITable>>;
  /** The Kafka event sources' on-failure destination; present when onFailureDestination is s3. */
  readonly failedBatches?: FailedBatchDestination;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const { options } = props;
    const { storage } = platform;

    let accessLogs: s3.IBucket | undefined;
    const logBucket = () => {
      accessLogs ??= this.createAccessLogBucket();
      return accessLogs;
    };

    this.checkpointBucket = options.storage.existingCheckpointBucket
      ? s3.Bucket.fromBucketName(this, 'ExistingCheckpoints', options.storage.existingCheckpointBucket)
      : (new SecureBucket(this, constructIdOf(storage.checkpointBucket), {
          accessLogsBucket: logBucket(),
          lifecycleRules: [
            {
              // A safety net behind the savepoint Lambda's own retention (max count / max age).
              id: 'expire-old-savepoints',
              prefix: `${SAVEPOINT_PREFIX}/`,
              expiration: Duration.days(options.savepoints.expirationDays),
            },
            {
              // Retained checkpoints of jobs that no longer run (RETAIN_ON_CANCELLATION keeps them).
              // Safe only with full checkpoints: FlinkStack checks the settings
              // (assertSelfContainedCheckpoints).
              id: 'expire-old-checkpoints',
              prefix: `${CHECKPOINT_PREFIX}/`,
              expiration: Duration.days(options.storage.checkpointExpirationDays),
            },
          ],
        }).bucket as s3.IBucket);

    this.dataLakeBucket = options.storage.existingDataLakeBucket
      ? s3.Bucket.fromBucketName(this, 'ExistingDataLake', options.storage.existingDataLakeBucket)
      : (new SecureBucket(this, constructIdOf(storage.dataLakeBucket), {
          accessLogsBucket: logBucket(),
          lifecycleRules: options.microBatcher.datasets.flatMap((dataset) => [
            {
              id: `expire-dead-letters-${dataset.dataset}`,
              prefix: deadLetterPrefix(dataset),
              expiration: Duration.days(options.storage.deadLetterExpirationDays),
            },
            {
              // Never by age alone: an unsealed window's parts are its only copy, and a re-seal
              // compacts all parts of the window again.
              id: `expire-sealed-hot-parts-${dataset.dataset}`,
              prefix: hotPartPrefix(dataset),
              tagFilters: { [SEALED_PART_TAG.key]: SEALED_PART_TAG.value },
              expiration: Duration.days(options.storage.sealedHotPartExpirationDays),
            },
          ]),
        }).bucket as s3.IBucket);

    this.lakehouse = this.createLakehouse(options);

    if (options.microBatcher.eventSource.onFailureDestination === 's3') {
      this.failedBatches = new FailedBatchDestination(this, 'FailedBatches', {
        accessLogsBucket: logBucket(),
        expirationDays: options.storage.failedBatchExpirationDays,
        logRetention: options.logs.retentionDays as logs.RetentionDays,
      });
      new CfnOutput(this, 'FailedBatchBucketName', {
        description:
          'Failed Kafka batches of the micro-batcher (docs/microbatcher.md, Failed batches and replay)',
        value: this.failedBatches.bucket.bucketName,
      });
    }

    this.tables = Object.fromEntries(
      (Object.entries(tables) as Array<[TableKey, TableKeySchema]>).map(([key, schema]) => {
        const existing = options.storage.existingTables?.[key];
        const id = constructIdOf(schema.tableName);
        const table = existing
          ? dynamodb.Table.fromTableName(this, `Existing${id}`, existing)
          : this.createTable(id, schema);
        return [key, table];
      }),
    ) as Record<TableKey, dynamodb.ITable>;
  }

  /** The Glue database with one partition-projected table per dataset (docs/deploy.md, Lakehouse). */
  private createLakehouse(options: AppOptions): glue.CfnDatabase {
    const database = new glue.CfnDatabase(this, 'Lakehouse', {
      catalogId: this.account,
      databaseInput: {
        name: lakehouseDatabaseName(options.stackPrefix),
        description: 'Sealed windows of the streaming datasets (micro-batcher), for Athena',
      },
    });
    for (const dataset of options.microBatcher.datasets) {
      new glue.CfnTable(this, `Lakehouse${constructIdOf(dataset.dataset)}`, {
        catalogId: this.account,
        databaseName: database.ref,
        tableInput: lakehouseTableInput(
          dataset,
          this.dataLakeBucket.bucketName,
          new Date(options.storage.lakehouseProjectionStart),
        ),
      });
    }
    return database;
  }

  // `as s3.IBucket` here and above: Bucket declares the optional IBucket member isWebsite as
  // `boolean | undefined`, which exactOptionalPropertyTypes refuses (aws/aws-cdk#37995's pattern).
  private createAccessLogBucket(): s3.IBucket {
    const accessLogs = new SecureBucket(this, 'AccessLogs', {
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    }).bucket;
    NagSuppressions.addResourceSuppressions(accessLogs, [
      { id: 'AwsSolutions-S1', reason: 'This is the access-log bucket; logging it into itself would loop.' },
    ]);
    return accessLogs as s3.IBucket;
  }

  /** A table with the key schema the local stack creates too (`tables` of @apphub/platform). */
  private createTable(id: string, schema: TableKeySchema): dynamodb.Table {
    return new dynamodb.Table(this, id, {
      partitionKey: { name: schema.partitionKey, type: dynamodb.AttributeType.STRING },
      ...(schema.sortKey && { sortKey: { name: schema.sortKey, type: dynamodb.AttributeType.STRING } }),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
      ...(schema.timeToLiveAttribute ? { timeToLiveAttribute: schema.timeToLiveAttribute } : {}),
    });
  }
}
