/** The state of one time window: the hot parts written to it and its latest sealed manifest. */
export interface WindowState {
  readonly windowStart: number;
  readonly parts: readonly string[];
  /** The published manifest version; 0 before the first seal. */
  readonly manifestVersion: number;
  readonly manifestKey?: string | undefined;
  readonly sealedPartsHash?: string | undefined;
  readonly sealedPartCount: number;
  /**
   * The newest version whose follow-up work after publishing is done (symlink manifests written,
   * the hot parts it covers tagged); 0 when none is.
   */
  readonly finishedVersion: number;
}

/** Whether a window has parts that its latest manifest does not cover. */
export function hasUnsealedParts(window: WindowState): boolean {
  return window.parts.length > window.sealedPartCount;
}

/** Whether a published version's follow-up work (symlink manifests, tags) is not done yet. */
export function hasUnfinishedSeal(window: WindowState): boolean {
  return window.finishedVersion < window.manifestVersion;
}

/**
 * Whether a sealer has work on a window: parts to seal, or a published version to finish. The one
 * predicate of "not done" for leases, pending windows and sealedThrough.
 */
export function needsSealing(window: WindowState): boolean {
  return hasUnsealedParts(window) || hasUnfinishedSeal(window);
}
