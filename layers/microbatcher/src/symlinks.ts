import type { DatasetDescriptor } from './descriptor.js';
import { LakeObjectError } from './errors.js';
import type { Lake, PutCondition } from './lake.js';
import { symlinkManifestKey } from './layout.js';
import type { WindowManifest } from './manifest.js';
import { mapRequests } from './request-limit.js';

/** User metadata of a symlink manifest: the window version whose files it lists. */
export const SYMLINK_VERSION_METADATA = 'apphub-manifest-version';

/** A symlink manifest as stored: its ETag and the version it lists (0 when unreadable). */
export interface StoredSymlink {
  readonly etag: string;
  readonly version: number;
}

/** How a writer of one version treats a symlink manifest: leave it, or replace it under a condition. */
export type SymlinkWrite =
  | { readonly action: 'keep' }
  | { readonly action: 'write'; readonly condition: PutCondition };

/**
 * Decides the write of version `version` over the symlink manifest found as `stored`: a newer or
 * equal version stays (a late or repeated writer changes nothing); an older one is replaced only if
 * it is still the object that was read (its ETag), and a missing one only if it is still missing.
 */
export function decideSymlinkWrite(stored: StoredSymlink | undefined, version: number): SymlinkWrite {
  if (stored === undefined) return { action: 'write', condition: { ifNoneMatch: '*' } };
  if (stored.version >= version) return { action: 'keep' };
  return { action: 'write', condition: { ifMatch: stored.etag } };
}

/**
 * The symlink manifests of a published version: per cell of its files, the cell's key and one
 * `s3://<bucket>/<key>` line per sealed file. Every cell any earlier version had is among the files
 * (with an empty sealed file when it has no rows now), so this version overwrites every manifest an
 * older one could write.
 */
export function symlinkManifests(
  bucket: string,
  descriptor: DatasetDescriptor,
  manifest: Pick<WindowManifest, 'windowStart' | 'files'>,
): { readonly key: string; readonly body: string }[] {
  const windowStart = Date.parse(manifest.windowStart);
  const lines = new Map<string, string[]>();
  for (const file of manifest.files) {
    const line = `s3://${bucket}/${file.key}`;
    lines.set(file.partition, [...(lines.get(file.partition) ?? []), line]);
  }
  return [...lines.keys()].sort().map((cell) => ({
    key: symlinkManifestKey(descriptor, windowStart, cell),
    body: `${lines.get(cell)!.sort().join('\n')}\n`,
  }));
}

/**
 * Points the window's symlink manifests at `manifest`'s sealed files, never moving one back to an
 * older version: each is a compare-and-set on the object (S3 conditional writes) against the version
 * read from its metadata. Two versions never write the same bytes (file names carry the parts hash),
 * so an unchanged ETag proves the version read is still the one stored.
 */
export async function writeSymlinkManifests(
  lake: Lake,
  descriptor: DatasetDescriptor,
  manifest: Pick<WindowManifest, 'windowStart' | 'files' | 'version'>,
): Promise<void> {
  const metadata = { [SYMLINK_VERSION_METADATA]: String(manifest.version) };
  await mapRequests(lake, symlinkManifests(lake.bucket, descriptor, manifest), async ({ key, body }) => {
    // The first version finds nothing to replace, unless a concurrent writer of it got there first.
    let stored = manifest.version === 1 ? undefined : await readSymlink(lake, key);
    for (let attempt = 0; attempt < 10; attempt++) {
      const decision = decideSymlinkWrite(stored, manifest.version);
      if (decision.action === 'keep') return;
      if (await lake.putIf(decision.condition, key, body, 'text/plain', metadata)) return;
      stored = await readSymlink(lake, key);
    }
    throw new LakeObjectError(
      `symlink manifest s3://${lake.bucket}/${key} kept changing under concurrent writers`,
    );
  });
}

async function readSymlink(lake: Lake, key: string): Promise<StoredSymlink | undefined> {
  const head = await lake.head(key);
  if (head === undefined) return undefined;
  const version = Number(head.metadata[SYMLINK_VERSION_METADATA]);
  return { etag: head.etag, version: Number.isSafeInteger(version) ? version : 0 };
}
