import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface SecureBucketProps {
  /** Where S3 writes access logs; required unless this bucket is itself the access-log bucket. */
  readonly accessLogsBucket?: s3.IBucket;
  /** Lifecycle rules besides the one that aborts stale multipart uploads. Default: none. */
  readonly lifecycleRules?: readonly s3.LifecycleRule[];
  /** Keep every version of an object (a delete or overwrite leaves the old one). Default: false. */
  readonly versioned?: boolean;
}

/**
 * An S3 bucket with this project's baseline: encrypted at rest, every public access blocked, TLS
 * only, access-logged, incomplete uploads cleaned, and retained when the stack is deleted.
 */
export class SecureBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps = {}) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: props.versioned ?? false,
      ...(props.accessLogsBucket && {
        serverAccessLogsBucket: props.accessLogsBucket,
        serverAccessLogsPrefix: `${id.toLowerCase()}/`,
      }),
      lifecycleRules: [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        ...(props.lifecycleRules ?? []),
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
