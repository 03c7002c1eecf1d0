import { describeIssues, type z } from '@apphub/platform';
import {
  GetObjectCommand,
  HeadObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import pMap from 'p-map';
import { LakeObjectError } from './errors.js';

/** What a conditional put requires of the object: absent, or still the version with this ETag. */
export type PutCondition = { readonly ifNoneMatch: '*' } | { readonly ifMatch: string };

/**
 * Whether S3 refused a conditional write because of the object: 412 the condition did not hold, 409
 * a concurrent conditional write to the key, NoSuchKey an If-Match on a key deleted meanwhile.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 */
function isRefusedConditionalWrite(error: unknown): boolean {
  const status = statusOf(error);
  return status === 412 || status === 409 || isNoSuchKey(error);
}

/**
 * The data-lake bucket as the micro-batcher uses it: whole-object puts and gets, conditional puts
 * and one tag per object. S3Lake is the real one; the unit tests use an in-memory one.
 */
export interface Lake {
  readonly bucket: string;
  /** Writes (or replaces) an object; a replaced object loses its tags, as in S3. */
  put(key: string, body: Uint8Array | string, contentType: string): Promise<void>;
  /** An object's bytes; throws LakeObjectError when it does not exist or the read fails. */
  get(key: string): Promise<Uint8Array>;
  /**
   * A JSON object parsed with `schema` (parseLakeJson): what is read is checked, never cast, and
   * an object that is not JSON or does not fit is a LakeObjectError naming it in one line.
   */
  getJson<S extends z.ZodType>(key: string, schema: S): Promise<z.output<S>>;
  /** ETag and user metadata of an object, or undefined when it does not exist. */
  head(
    key: string,
  ): Promise<{ readonly etag: string; readonly metadata: Record<string, string> } | undefined>;
  /**
   * Writes an object only under `condition`; false when it was refused because the object changed,
   * so the caller reads it again and decides anew.
   */
  putIf(
    condition: PutCondition,
    key: string,
    body: Uint8Array | string,
    contentType: string,
    metadata: Record<string, string>,
  ): Promise<boolean>;
  /** Sets the object's only tag; false when the object does not exist (any more). */
  tag(key: string, tag: { readonly key: string; readonly value: string }): Promise<boolean>;
}

/** The data-lake bucket on S3: errors name the key. */
export class S3Lake implements Lake {
  constructor(
    readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async put(key: string, body: Uint8Array | string, contentType: string): Promise<void> {
    try {
      await this.s3.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
      );
    } catch (error) {
      throw new LakeObjectError(`cannot write s3://${this.bucket}/${key}`, { cause: error });
    }
  }

  async get(key: string): Promise<Uint8Array> {
    try {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return await result.Body!.transformToByteArray();
    } catch (error) {
      const reason = error instanceof NoSuchKey ? 'it does not exist' : 'the read failed';
      throw new LakeObjectError(`cannot read s3://${this.bucket}/${key}: ${reason}`, { cause: error });
    }
  }

  async getJson<S extends z.ZodType>(key: string, schema: S): Promise<z.output<S>> {
    return parseLakeJson(this.bucket, key, await this.get(key), schema);
  }

  async head(
    key: string,
  ): Promise<{ readonly etag: string; readonly metadata: Record<string, string> } | undefined> {
    try {
      const result = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { etag: result.ETag!, metadata: result.Metadata ?? {} };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw new LakeObjectError(`cannot read the metadata of s3://${this.bucket}/${key}`, { cause: error });
    }
  }

  /** S3 conditional writes: If-None-Match or If-Match. */
  async putIf(
    condition: PutCondition,
    key: string,
    body: Uint8Array | string,
    contentType: string,
    metadata: Record<string, string>,
  ): Promise<boolean> {
    try {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          Metadata: metadata,
          ...('ifMatch' in condition
            ? { IfMatch: condition.ifMatch }
            : { IfNoneMatch: condition.ifNoneMatch }),
        }),
      );
      return true;
    } catch (error) {
      if (isRefusedConditionalWrite(error)) return false;
      throw new LakeObjectError(`cannot write s3://${this.bucket}/${key}`, { cause: error });
    }
  }

  async tag(key: string, tag: { readonly key: string; readonly value: string }): Promise<boolean> {
    try {
      await this.s3.send(
        new PutObjectTaggingCommand({
          Bucket: this.bucket,
          Key: key,
          Tagging: { TagSet: [{ Key: tag.key, Value: tag.value }] },
        }),
      );
      return true;
    } catch (error) {
      if (isNoSuchKey(error)) return false;
      throw new LakeObjectError(`cannot tag s3://${this.bucket}/${key}`, { cause: error });
    }
  }
}

/**
 * Parses an object's bytes as JSON with `schema`, or throws a LakeObjectError naming the object:
 * `s3://<bucket>/<key> is not <what the schema describes>: <field>: <problem>`.
 */
export function parseLakeJson<S extends z.ZodType>(
  bucket: string,
  key: string,
  bytes: Uint8Array,
  schema: S,
): z.output<S> {
  const what = schema.description ?? 'the JSON expected';
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new LakeObjectError(
      `s3://${bucket}/${key} is not ${what}: not JSON (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
  const result = schema.safeParse(document);
  if (result.success) return result.data;
  throw new LakeObjectError(`s3://${bucket}/${key} is not ${what}: ${describeIssues(result.error)}`, {
    cause: result.error,
  });
}

/** The HTTP status of an S3 error (HeadObject's 404 has no error code to match by name). */
function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** A missing key (not a missing bucket); operations without it in their model report it by name. */
function isNoSuchKey(error: unknown): boolean {
  return error instanceof NoSuchKey || (error as { name?: unknown }).name === 'NoSuchKey';
}

/**
 * Runs `task` over `items` with at most `limit` in flight (p-map); results keep the input order, and
 * the first failure rejects and starts no further task.
 */
export function mapWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  return pMap(items, task, { concurrency: limit });
}
