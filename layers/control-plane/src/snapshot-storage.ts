import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DeleteObjectsCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ControlPlaneStorageError } from './errors.js';

/** A retained checkpoint found in storage. */
export interface StoredCheckpoint {
  readonly path: string;
  readonly checkpointId: number;
  /** Epoch milliseconds when its `_metadata` was written. */
  readonly completedAt: number;
}

type Location = { scheme: 'file'; path: string } | { scheme: 's3'; bucket: string; key: string };

/**
 * Savepoint and checkpoint data on the local filesystem (file://) or in S3 (s3://). Flink writes
 * `file:/abs/path` locations; both that and `file:///abs/path` are accepted.
 */
export class SnapshotStorage {
  constructor(private readonly s3?: S3Client) {}

  /** True when `<location>/_metadata` exists, i.e. the snapshot is restorable. */
  async hasMetadata(location: string): Promise<boolean> {
    const parsed = parseLocation(location);
    if (parsed.scheme === 'file') {
      return stat(path.join(parsed.path, '_metadata')).then(
        (info) => info.isFile(),
        () => false,
      );
    }
    try {
      await this.client(location).send(
        new HeadObjectCommand({ Bucket: parsed.bucket, Key: joinKey(parsed.key, '_metadata') }),
      );
      return true;
    } catch (error) {
      if ((error as { name?: string }).name === 'NotFound') return false;
      throw new ControlPlaneStorageError(
        `Could not read ${location}/_metadata: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }

  /**
   * Deletes a snapshot directory and everything in it. Refuses anything outside `root`, so a bad
   * record can never delete foreign data. Deleting what is already gone succeeds.
   */
  async deleteSnapshot(location: string, root: string): Promise<void> {
    const target = parseLocation(location);
    const base = parseLocation(root);
    if (!isInside(target, base)) {
      throw new ControlPlaneStorageError(`Refusing to delete ${location}: it is not under ${root}`);
    }
    if (target.scheme === 'file') {
      await rm(target.path, { recursive: true, force: true });
      return;
    }
    const s3 = this.client(location);
    const prefix = `${target.key.replace(/\/+$/, '')}/`;
    // A page holds at most 1,000 keys, the most one DeleteObjects call takes.
    for await (const page of paginateListObjectsV2(
      { client: s3 },
      { Bucket: target.bucket, Prefix: prefix },
    )) {
      const objects = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (objects.length > 0) {
        await s3.send(
          new DeleteObjectsCommand({ Bucket: target.bucket, Delete: { Objects: objects, Quiet: true } }),
        );
      }
    }
  }

  /** The newest retained checkpoint (`<root>/<jobId>/chk-N/_metadata`) of a job, if any. */
  async latestCheckpoint(checkpointRoot: string, jobId: string): Promise<StoredCheckpoint | undefined> {
    const root = parseLocation(checkpointRoot);
    const candidates =
      root.scheme === 'file'
        ? await this.fileCheckpoints(root.path, jobId)
        : await this.s3Checkpoints(root, jobId);
    return candidates.sort((a, b) => b.checkpointId - a.checkpointId)[0];
  }

  private async fileCheckpoints(root: string, jobId: string): Promise<StoredCheckpoint[]> {
    const jobDir = path.join(root, jobId);
    const entries = await readdir(jobDir).catch(() => [] as string[]);
    const found: StoredCheckpoint[] = [];
    for (const entry of entries) {
      const match = /^chk-(\d+)$/.exec(entry);
      if (!match) continue;
      const metadata = await stat(path.join(jobDir, entry, '_metadata')).catch(() => undefined);
      if (metadata?.isFile()) {
        found.push({
          path: `file://${path.join(jobDir, entry)}`,
          checkpointId: Number(match[1]),
          completedAt: metadata.mtimeMs,
        });
      }
    }
    return found;
  }

  private async s3Checkpoints(
    root: { bucket: string; key: string },
    jobId: string,
  ): Promise<StoredCheckpoint[]> {
    const s3 = this.client(`s3://${root.bucket}`);
    const prefix = `${joinKey(root.key, jobId)}/`;
    const found: StoredCheckpoint[] = [];
    for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: root.bucket, Prefix: prefix })) {
      for (const object of page.Contents ?? []) {
        const match = object.Key ? /\/chk-(\d+)\/_metadata$/.exec(object.Key) : null;
        if (!match || !object.Key) continue;
        found.push({
          path: `s3://${root.bucket}/${object.Key.replace(/\/_metadata$/, '')}`,
          checkpointId: Number(match[1]),
          completedAt: object.LastModified?.getTime() ?? 0,
        });
      }
    }
    return found;
  }

  private client(location: string): S3Client {
    if (!this.s3) throw new ControlPlaneStorageError(`No S3 client configured to reach ${location}`);
    return this.s3;
  }
}

function parseLocation(location: string): Location {
  if (location.startsWith('file:')) {
    const normalized = location.startsWith('file://') ? location : `file://${location.slice('file:'.length)}`;
    return { scheme: 'file', path: path.resolve(fileURLToPath(normalized)) };
  }
  const s3 = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (s3) return { scheme: 's3', bucket: s3[1]!, key: s3[2]!.replace(/\/+$/, '') };
  throw new ControlPlaneStorageError(`Unsupported snapshot location ${location}: expected file:// or s3://`);
}

function isInside(target: Location, base: Location): boolean {
  if (target.scheme === 'file' && base.scheme === 'file') {
    const relative = path.relative(base.path, target.path);
    return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
  }
  if (target.scheme === 's3' && base.scheme === 's3') {
    const prefix = base.key === '' ? '' : `${base.key}/`;
    return (
      target.bucket === base.bucket && target.key.startsWith(prefix) && target.key.length > prefix.length
    );
  }
  return false;
}

function joinKey(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}/${name}`;
}
