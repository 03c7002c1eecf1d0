import { z } from '@apphub/platform/settings';
import { fieldSchema } from './descriptor.js';

/**
 * A JSON object of the lake in format `version`: an object without `formatVersion` is version 1
 * (what the micro-batcher wrote before objects carried one), another version fails with one line
 * before the rest of the object is looked at, so a newer writer's object is never half-read.
 */
export function versionedObject<S extends z.ZodType>(
  what: string,
  version: number,
  schema: S,
): z.ZodType<z.output<S>> {
  const gate = z.looseObject({
    formatVersion: z
      .literal(version, {
        error: (issue) =>
          `unknown format version ${JSON.stringify(issue.input)}: this micro-batcher reads version ${version}`,
      })
      .optional(),
  });
  return (gate.pipe(schema as never) as unknown as z.ZodType<z.output<S>>).describe(what);
}

/** The format version the micro-batcher writes for manifests and schema records. */
export const FORMAT_VERSION = 1;

const isoTime = z.iso.datetime({ offset: false });

/** The manifest of one sealed window version: which files hold the window's rows. */
export const windowManifestSchema = versionedObject(
  'a window manifest',
  FORMAT_VERSION,
  z.strictObject({
    formatVersion: z.literal(FORMAT_VERSION).optional(),
    dataset: z.string().min(1),
    version: z.number().int().min(1),
    windowStart: isoTime,
    windowEnd: isoTime,
    /** Hash of the hot parts this version compacts; equal parts give an equal manifest. */
    partsHash: z.string().regex(/^[0-9a-f]{16}$/),
    /** Every hot part this version covers: those of the versions before it and the ones added since. */
    parts: z.array(z.string().min(1)),
    /**
     * The compacted part (compactedPartKey): the winning record per upsert key of `parts`, with
     * lineage and tombstones. The next version starts from it, so `parts` may expire. A manifest
     * without one has untagged parts, all of which are read.
     */
    compactedPart: z.string().min(1).optional(),
    /**
     * One sealed file per partition-key cell of this version or an earlier one; a cell without rows
     * now has a file without rows, so that every cell's symlink manifest moves to this version.
     */
    files: z.array(
      z.strictObject({ key: z.string().min(1), partition: z.string(), rowCount: z.number().int().min(0) }),
    ),
    rowCount: z.number().int().min(0),
    /** The schema the sealed files were written with. */
    columns: z.array(fieldSchema).min(1),
  }),
);

export type WindowManifest = Readonly<z.output<typeof windowManifestSchema>>;
