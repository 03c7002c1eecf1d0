import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ControlPlaneStorageError, SnapshotStorage } from '@apphub/control-plane';
import { describe, expect, it } from 'vitest';

/** A checkpoint root laid out as Flink writes it: <root>/<jobId>/chk-N/_metadata, plus shared/ and taskowned/. */
function checkpointTree(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'apphub-checkpoints-'));
  const job = path.join(root, 'a1b2');
  for (const [name, withMetadata] of [
    ['chk-9', true],
    ['chk-10', true],
    ['chk-11', false], // in progress when the JobManager died: no _metadata yet
    ['shared', false],
    ['taskowned', false],
  ] as const) {
    mkdirSync(path.join(job, name), { recursive: true });
    if (withMetadata) writeFileSync(path.join(job, name, '_metadata'), 'x');
  }
  utimesSync(path.join(job, 'chk-10', '_metadata'), new Date(1_000_000), new Date(1_700_000_000_000));
  return root;
}

describe('SnapshotStorage on the local filesystem', () => {
  const storage = new SnapshotStorage();

  it('finds the newest checkpoint that has _metadata, numerically ordered', async () => {
    const root = checkpointTree();

    const latest = await storage.latestCheckpoint(`file://${root}`, 'a1b2');

    expect(latest).toEqual({
      path: `file://${root}/a1b2/chk-10`,
      checkpointId: 10,
      completedAt: 1_700_000_000_000,
    });
    expect(await storage.latestCheckpoint(`file://${root}`, 'unknown-job')).toBeUndefined();
  });

  it("accepts Flink's file:/path and file:///path forms for _metadata checks", async () => {
    const root = checkpointTree();

    expect(await storage.hasMetadata(`file:${root}/a1b2/chk-9`)).toBe(true);
    expect(await storage.hasMetadata(`file://${root}/a1b2/chk-11`)).toBe(false);
  });

  it('deletes a snapshot under the root, idempotently, and refuses anything outside it', async () => {
    const root = checkpointTree();
    const target = `file:${root}/a1b2/chk-9`;

    await storage.deleteSnapshot(target, `file://${root}`);
    await storage.deleteSnapshot(target, `file://${root}`);

    expect(existsSync(path.join(root, 'a1b2', 'chk-9'))).toBe(false);
    await expect(storage.deleteSnapshot(`file://${root}/../elsewhere`, `file://${root}`)).rejects.toThrow(
      ControlPlaneStorageError,
    );
    await expect(storage.deleteSnapshot(`file://${root}`, `file://${root}`)).rejects.toThrow(/is not under/);
    await expect(storage.deleteSnapshot('s3://bucket/sp/x', `file://${root}`)).rejects.toThrow(
      /is not under/,
    );
    expect(existsSync(path.join(root, 'a1b2', 'chk-10'))).toBe(true);
  });
});
