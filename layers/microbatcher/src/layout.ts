import { createHash } from 'node:crypto';
import type { ParquetValue } from '@apphub/parquet';
import type { DatasetDescriptor } from './descriptor.js';

/**
 * Object keys of a dataset in the lake bucket. Every key is a pure function of what the object
 * holds (topic, partition, offset range, or the set of parts it compacts), so a retry writes the
 * same key with the same bytes and never a duplicate.
 *
 *   <prefix>/<dataset>/hot/window=<start>/<k>=<v>/part-<topic>+<partition>+<first>+<last>.parquet
 *   <prefix>/<dataset>/compacted/window=<start>/part-<partsHash>.parquet
 *   <prefix>/<dataset>/sealed/window=<start>/<k>=<v>/data-<partsHash>.parquet
 *   <prefix>/<dataset>/manifests/window=<start>/v<version>-<partsHash>.json
 *   <prefix>/<dataset>/symlinks/window=<start>/<k>=<v>/manifest
 *   <prefix>/<dataset>/dead-letter/topic=<topic>/partition=<p>/offset=<offset>.json
 *   <prefix>/<dataset>/schema.json
 *
 * The symlink manifests and the schema record are the exceptions: one fixed key per window cell,
 * rewritten (in version order) whenever the window's published version changes, and one per
 * dataset, rewritten (with compare-and-set) when its schema evolves.
 */
export function datasetRoot(descriptor: Pick<DatasetDescriptor, 'prefix' | 'dataset'>): string {
  return `${descriptor.prefix}/${descriptor.dataset}`;
}

/** `20261129T100000Z`: a window start that is safe in paths and sorts in time order. */
export function windowLabel(windowStart: number): string {
  return new Date(windowStart)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** Hive partition segments for the partition-key values, escaped like Hive does. */
export function partitionPath(
  partitionKeys: readonly string[],
  values: Readonly<Record<string, ParquetValue>>,
): string {
  return partitionKeys
    .map((key) => {
      const value = values[key];
      return `${key}=${value === null || value === undefined ? '__HIVE_DEFAULT_PARTITION__' : escapeHive(String(value))}`;
    })
    .join('/');
}

/** Characters Hive escapes in partition values: control characters and path or quoting syntax. */
const hiveSpecial = new Set('"#%\'*/:=?\\{[]^'.split(''));

function escapeHive(value: string): string {
  return [...value]
    .map((char) => {
      const code = char.charCodeAt(0);
      const special = code < 0x20 || code === 0x7f || hiveSpecial.has(char);
      return special ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : char;
    })
    .join('');
}

const join = (...segments: string[]) => segments.filter((segment) => segment !== '').join('/');
const offsetLabel = (offset: number) => String(offset).padStart(20, '0');

export function hotPartKey(
  descriptor: DatasetDescriptor,
  windowStart: number,
  cellPath: string,
  source: {
    readonly topic: string;
    readonly partition: number;
    readonly firstOffset: number;
    readonly lastOffset: number;
  },
): string {
  return join(
    datasetRoot(descriptor),
    'hot',
    `window=${windowLabel(windowStart)}`,
    cellPath,
    `part-${source.topic}+${source.partition}+${offsetLabel(source.firstOffset)}+${offsetLabel(source.lastOffset)}.parquet`,
  );
}

export function sealedFileKey(
  descriptor: DatasetDescriptor,
  windowStart: number,
  cellPath: string,
  partsHash: string,
): string {
  return join(
    datasetRoot(descriptor),
    'sealed',
    `window=${windowLabel(windowStart)}`,
    cellPath,
    `data-${partsHash}.parquet`,
  );
}

/**
 * The compacted part of a window version: the winning record per upsert key of every hot part the
 * version covers, tombstones included, in the hot-part format (with lineage). A re-seal starts from
 * it instead of the covered hot parts, which may then expire.
 */
export function compactedPartKey(
  descriptor: DatasetDescriptor,
  windowStart: number,
  partsHash: string,
): string {
  return join(
    datasetRoot(descriptor),
    'compacted',
    `window=${windowLabel(windowStart)}`,
    `part-${partsHash}.parquet`,
  );
}

/**
 * Folder of a dataset that holds one Hive symlink manifest per published window cell (the Glue
 * table's location): the table reads only through them, so it shows a window only after its
 * manifest is published, and only the current version's files.
 */
export function symlinkRoot(descriptor: Pick<DatasetDescriptor, 'prefix' | 'dataset'>): string {
  return `${datasetRoot(descriptor)}/symlinks`;
}

/**
 * The symlink manifest (Athena's SymlinkTextInputFormat) of one window cell:
 * `<prefix>/<dataset>/symlinks/window=<label>/[<k>=<v>/]manifest`, one `s3://` URL per line.
 */
export function symlinkManifestKey(
  descriptor: Pick<DatasetDescriptor, 'prefix' | 'dataset'>,
  windowStart: number,
  cellPath: string,
): string {
  return join(symlinkRoot(descriptor), `window=${windowLabel(windowStart)}`, cellPath, 'manifest');
}

/**
 * The object tag that marks a hot part as covered by a published manifest and its compacted part:
 * no re-seal or read needs it any more. The lake's lifecycle rule expires hot parts only with it.
 */
export const SEALED_PART_TAG = Object.freeze({ key: 'apphub:sealed', value: 'true' } as const);

/**
 * Prefix (in the failed-batch bucket) the replay command moves replayed objects to when asked
 * (`--mark`). The alarm's rule ignores it, and its lifecycle is shorter.
 */
export const REPLAYED_PREFIX = 'replayed/';

export function manifestKey(
  descriptor: DatasetDescriptor,
  windowStart: number,
  version: number,
  partsHash: string,
): string {
  return join(
    datasetRoot(descriptor),
    'manifests',
    `window=${windowLabel(windowStart)}`,
    `v${String(version).padStart(6, '0')}-${partsHash}.json`,
  );
}

/** The dataset's schema record: the schema in force and every version before it (schema-record.ts). */
export function schemaRecordKey(descriptor: Pick<DatasetDescriptor, 'prefix' | 'dataset'>): string {
  return `${datasetRoot(descriptor)}/schema.json`;
}

export function deadLetterKey(
  root: string,
  record: { readonly topic: string; readonly partition: number; readonly offset: number },
): string {
  return join(
    root,
    'dead-letter',
    `topic=${record.topic}`,
    `partition=${record.partition}`,
    `offset=${offsetLabel(record.offset)}.json`,
  );
}

/**
 * Identifies a set of hot parts of one dataset: equal sets give equal hashes, whatever the order.
 * Keys are hashed relative to the dataset root, so the hash does not depend on where the dataset lives.
 */
export function hashParts(root: string, partKeys: readonly string[]): string {
  const relative = partKeys.map((key) => (key.startsWith(`${root}/`) ? key.slice(root.length + 1) : key));
  return createHash('sha256').update(relative.sort().join('\n')).digest('hex').slice(0, 16);
}
