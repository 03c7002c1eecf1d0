import { createHash, randomUUID } from 'node:crypto';
import type { KafkaEvent } from '@apphub/kafka-event';
import {
  type BatchFailure,
  encodeFailedBatch,
  type FailedBatch,
  failedBatchKey,
  parseFailedBatch,
  REPLAYED_PREFIX,
} from '@apphub/microbatcher';
import { ConfigInvalidError, platform } from '@apphub/platform';
import {
  BucketAlreadyOwnedByYou,
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { LocalError } from '../errors.js';

/** The local on-failure destination: a bucket of its own on the local S3 endpoint, as in AWS. */
export const LOCAL_FAILED_BATCH_BUCKET = platform.storage.failedBatchBucket;

/** A failed-batch object could not be listed, read, written or moved (its s3:// URI is named). */
export class FailedBatchStorageError extends LocalError {}

/** `s3://bucket/key` split; the key may be empty (the whole bucket) or a prefix. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

/** Parses `s3://bucket[/key-or-prefix]`; anything else is one line naming the value. */
export function parseS3Uri(uri: string): S3Location {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!match) {
    throw new ConfigInvalidError(`--replay expects s3://<bucket>/<object or prefix>, got ${uri}`);
  }
  return { bucket: match[1]!, key: match[2] ?? '' };
}

/**
 * A stable stand-in for the event source mapping's UUID, from the consumer group and topic (Lambda
 * creates one mapping per topic), so a local destination's keys group batches as AWS's do.
 */
export function localMappingUuid(groupId: string, topic: string): string {
  const hex = createHash('sha256').update(`${groupId}\n${topic}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The failed-batch bucket: writes what the event source mapping writes, and reads it for a replay. */
export class FailedBatchStore {
  private bucketReady: Promise<void> | undefined;

  constructor(
    readonly s3: S3Client,
    readonly bucket: string = LOCAL_FAILED_BATCH_BUCKET,
  ) {}

  uri(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /** Writes the invocation record of a batch given up on, in Lambda's format and key layout; returns its URI. */
  async write(event: KafkaEvent, failure: BatchFailure & { readonly mappingUuid: string }): Promise<string> {
    const [topicPartition] = Object.keys(event.records);
    const key = failedBatchKey(failure.mappingUuid, topicPartition ?? 'empty', failure.at, randomUUID());
    await this.ensureBucket();
    await this.attempt(`cannot write ${this.uri(key)}`, () =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: encodeFailedBatch(event, failure),
          ContentType: 'application/json',
        }),
      ),
    );
    return this.uri(key);
  }

  /**
   * The keys a replay of `key` covers, in key order (oldest first within a partition): the object
   * itself when it exists, otherwise every object under it as a prefix, except replayed ones.
   */
  async keysAt(key: string): Promise<string[]> {
    if (key !== '' && !key.endsWith('/') && (await this.exists(key))) return [key];
    const keys = await this.attempt(`cannot list ${this.uri(key)}`, async () => {
      const found: string[] = [];
      for await (const page of paginateListObjectsV2(
        { client: this.s3 },
        { Bucket: this.bucket, Prefix: key },
      )) {
        for (const object of page.Contents ?? []) {
          if (object.Key && !object.Key.startsWith(REPLAYED_PREFIX)) found.push(object.Key);
        }
      }
      return found;
    });
    return keys.sort();
  }

  /** Reads and checks one failed-batch object. */
  async read(key: string): Promise<FailedBatch> {
    const text = await this.attempt(`cannot read ${this.uri(key)}`, async () => {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return result.Body!.transformToString('utf8');
    });
    return parseFailedBatch(text, this.uri(key));
  }

  async delete(key: string): Promise<void> {
    await this.attempt(`cannot delete ${this.uri(key)}`, () =>
      this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
    );
  }

  /** Moves a replayed object under `replayed/` (copy, then delete); returns the new URI. */
  async markReplayed(key: string): Promise<string> {
    const target = `${REPLAYED_PREFIX}${key}`;
    await this.attempt(`cannot copy ${this.uri(key)} to ${this.uri(target)}`, () =>
      this.s3.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: target,
          CopySource: `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
        }),
      ),
    );
    await this.delete(key);
    return this.uri(target);
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (error instanceof NotFound || error instanceof NoSuchKey) return false;
      throw new FailedBatchStorageError(`cannot read ${this.uri(key)}`, { cause: error });
    }
  }

  /** Creates the bucket once per process if the local endpoint does not have it yet. */
  private ensureBucket(): Promise<void> {
    this.bucketReady ??= this.s3.send(new CreateBucketCommand({ Bucket: this.bucket })).then(
      () => undefined,
      (error: unknown) => {
        if (error instanceof BucketAlreadyOwnedByYou) return;
        this.bucketReady = undefined;
        throw new FailedBatchStorageError(`cannot create the bucket s3://${this.bucket}`, { cause: error });
      },
    );
    return this.bucketReady;
  }

  private async attempt<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw new FailedBatchStorageError(what, { cause: error });
    }
  }
}
