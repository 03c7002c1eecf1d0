import { createHash } from 'node:crypto';
import { type Lake, LakeObjectError, parseLakeJson } from '@apphub/microbatcher';
import type { z } from '@apphub/platform';

interface StoredObject {
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly etag: string;
  readonly metadata: Record<string, string>;
  tags: Record<string, string>;
}

/**
 * A data-lake bucket in memory with S3's semantics where the micro-batcher depends on them: a put
 * replaces the object and drops its tags, a conditional put is refused when the object changed, a
 * read or tag of a missing key fails as S3's does. Modelled on the Flink operator's
 * TestingFlinkService: a small real implementation of the interface, not a mock.
 */
export class InMemoryLake implements Lake {
  private readonly objects = new Map<string, StoredObject>();

  constructor(readonly bucket = 'in-memory-lake') {}

  async put(key: string, body: Uint8Array | string, contentType: string): Promise<void> {
    this.store(key, body, contentType, {});
  }

  async get(key: string): Promise<Uint8Array> {
    const object = this.objects.get(key);
    if (!object) throw new LakeObjectError(`cannot read s3://${this.bucket}/${key}: it does not exist`);
    return object.body;
  }

  async getJson<S extends z.ZodType>(key: string, schema: S): Promise<z.output<S>> {
    return parseLakeJson(this.bucket, key, await this.get(key), schema);
  }

  async head(key: string) {
    const object = this.objects.get(key);
    return object ? { etag: object.etag, metadata: { ...object.metadata } } : undefined;
  }

  async putIf(...[condition, key, body, contentType, metadata]: Parameters<Lake['putIf']>): Promise<boolean> {
    const current = this.objects.get(key);
    const holds = 'ifMatch' in condition ? current?.etag === condition.ifMatch : current === undefined;
    if (!holds) return false;
    this.store(key, body, contentType, metadata);
    return true;
  }

  async tag(key: string, tag: { readonly key: string; readonly value: string }): Promise<boolean> {
    const object = this.objects.get(key);
    if (!object) return false;
    object.tags = { [tag.key]: tag.value };
    return true;
  }

  /** Keys under `prefix`, sorted. */
  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  /** The tags of an object, or undefined when it does not exist. */
  tagsOf(key: string): Readonly<Record<string, string>> | undefined {
    return this.objects.get(key)?.tags;
  }

  /** Removes an object, as a lifecycle rule expiring it would. */
  expire(key: string): void {
    this.objects.delete(key);
  }

  private store(
    key: string,
    body: Uint8Array | string,
    contentType: string,
    metadata: Record<string, string>,
  ) {
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body.slice();
    // S3's ETag of a single-part put: the MD5 of the bytes.
    const etag = `"${createHash('md5').update(bytes).digest('hex')}"`;
    this.objects.set(key, { body: bytes, contentType, etag, metadata: { ...metadata }, tags: {} });
  }
}
