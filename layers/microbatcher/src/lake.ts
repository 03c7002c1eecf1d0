import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LakeObjectError } from './errors.js';

/** The data-lake bucket: whole-object puts and gets, errors naming the key. */
export class Lake {
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

  async getJson<T>(key: string): Promise<T> {
    return JSON.parse(Buffer.from(await this.get(key)).toString('utf8')) as T;
  }
}

/** Runs `task` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
