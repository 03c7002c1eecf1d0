import { randomUUID } from 'node:crypto';
import { type Lake, LakeObjectError, windowManifestSchema } from '@apphub/microbatcher';
import { z } from '@apphub/platform';
import { beforeEach, describe, expect, it } from 'vitest';

/** A key prefix no other test (or run) uses, so the contract can run on a shared bucket. */
const uniquePrefix = () => `contract/${randomUUID().slice(0, 8)}`;

const pointSchema = z.strictObject({ x: z.number(), y: z.number() }).describe('a point');

/**
 * The behaviour every Lake must have, whatever holds it: puts replace objects and drop their tags,
 * conditional puts are refused when the object changed (or exists, or is gone), JSON is parsed with
 * a schema and a bad object is one error naming it, missing objects are told apart from failures.
 * Runs against MinIO (the storage tests) and against the in-memory fake the unit tests use, so the
 * fake cannot drift from S3 unnoticed. `tagsOf` reads an object's tags outside the interface.
 */
export function describeLakeContract(
  name: string,
  lakeOf: () => Lake,
  tagsOf: (lake: Lake, key: string) => Promise<Record<string, string> | undefined>,
): void {
  describe(name, () => {
    let lake: Lake;
    let prefix: string;
    beforeEach(() => {
      lake = lakeOf();
      prefix = uniquePrefix();
    });

    it('reads back what was put, bytes and text alike, and replaces an object on a second put', async () => {
      // Prepare
      const bytes = new Uint8Array([0, 1, 2, 253, 254, 255]);

      // Act
      await lake.put(`${prefix}/bytes`, bytes, 'application/octet-stream');
      await lake.put(`${prefix}/text`, 'first ü', 'text/plain');
      await lake.put(`${prefix}/text`, 'second ü', 'text/plain');

      // Assess
      expect([...(await lake.get(`${prefix}/bytes`))]).toEqual([...bytes]);
      expect(Buffer.from(await lake.get(`${prefix}/text`)).toString('utf8')).toBe('second ü');
    });

    it('fails a read of a missing object with one line naming it', async () => {
      await expect(lake.get(`${prefix}/missing`)).rejects.toThrow(
        new LakeObjectError(`cannot read s3://${lake.bucket}/${prefix}/missing: it does not exist`),
      );
      expect(await lake.head(`${prefix}/missing`)).toBeUndefined();
    });

    it('parses JSON with a schema and names the object when it is not JSON or does not fit', async () => {
      // Prepare
      await lake.put(`${prefix}/good.json`, '{"x":1,"y":2}', 'application/json');
      await lake.put(`${prefix}/extra.json`, '{"x":1,"y":2,"z":3}', 'application/json');
      await lake.put(`${prefix}/broken.json`, '{"x":1,', 'application/json');

      // Act and assess
      expect(await lake.getJson(`${prefix}/good.json`, pointSchema)).toEqual({ x: 1, y: 2 });
      await expect(lake.getJson(`${prefix}/extra.json`, pointSchema)).rejects.toThrow(
        `s3://${lake.bucket}/${prefix}/extra.json is not a point: (root): Unrecognized key: "z"`,
      );
      await expect(lake.getJson(`${prefix}/broken.json`, pointSchema)).rejects.toThrow(
        new RegExp(`^s3://${lake.bucket}/${prefix}/broken\\.json is not a point: not JSON \\(`),
      );
      await expect(lake.getJson(`${prefix}/good.json`, windowManifestSchema)).rejects.toThrow(
        new RegExp(`^s3://${lake.bucket}/${prefix}/good\\.json is not a window manifest: `),
      );
    });

    it('reports the ETag and user metadata of an object, a new ETag for new bytes', async () => {
      // Act
      await lake.putIf({ ifNoneMatch: '*' }, `${prefix}/meta`, 'one', 'text/plain', {
        'apphub-version': '1',
      });
      const first = await lake.head(`${prefix}/meta`);
      await lake.put(`${prefix}/meta`, 'two', 'text/plain');
      const second = await lake.head(`${prefix}/meta`);

      // Assess
      expect(first).toEqual({ etag: expect.stringMatching(/^".+"$/), metadata: { 'apphub-version': '1' } });
      expect(second?.etag).not.toBe(first?.etag);
      expect(second?.metadata).toEqual({});
    });

    it('creates an object with If-None-Match only while it is missing, and for one of concurrent writers', async () => {
      // Act
      const results = await Promise.all(
        ['a', 'b', 'c', 'd'].map((body) =>
          lake.putIf({ ifNoneMatch: '*' }, `${prefix}/once`, body, 'text/plain', {}),
        ),
      );
      const again = await lake.putIf({ ifNoneMatch: '*' }, `${prefix}/once`, 'late', 'text/plain', {});

      // Assess
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(again).toBe(false);
      const winner = ['a', 'b', 'c', 'd'][results.indexOf(true)];
      expect(Buffer.from(await lake.get(`${prefix}/once`)).toString('utf8')).toBe(winner);
    });

    it('replaces an object with If-Match only while it still has the ETag read', async () => {
      // Prepare
      await lake.put(`${prefix}/cas`, 'v1', 'text/plain');
      const read = (await lake.head(`${prefix}/cas`))!;

      // Act
      const first = await lake.putIf({ ifMatch: read.etag }, `${prefix}/cas`, 'v2', 'text/plain', {});
      const stale = await lake.putIf({ ifMatch: read.etag }, `${prefix}/cas`, 'v3', 'text/plain', {});
      const gone = await lake.putIf({ ifMatch: read.etag }, `${prefix}/never`, 'v1', 'text/plain', {});

      // Assess
      expect([first, stale, gone]).toEqual([true, false, false]);
      expect(Buffer.from(await lake.get(`${prefix}/cas`)).toString('utf8')).toBe('v2');
      expect(await lake.head(`${prefix}/never`)).toBeUndefined();
    });

    it('tags an object with one tag, drops it when the object is replaced, and cannot tag a missing one', async () => {
      // Prepare
      const tag = { key: 'apphub:sealed', value: 'true' };
      await lake.put(`${prefix}/part`, 'rows', 'application/octet-stream');

      // Act
      const tagged = await lake.tag(`${prefix}/part`, tag);
      const tagsAfterTag = await tagsOf(lake, `${prefix}/part`);
      await lake.put(`${prefix}/part`, 'rows', 'application/octet-stream');
      const tagsAfterPut = await tagsOf(lake, `${prefix}/part`);
      const missing = await lake.tag(`${prefix}/missing`, tag);

      // Assess
      expect(tagged).toBe(true);
      expect(tagsAfterTag).toEqual({ 'apphub:sealed': 'true' });
      expect(tagsAfterPut).toEqual({});
      expect(missing).toBe(false);
    });
  });
}
