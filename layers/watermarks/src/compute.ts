/** Progress of one Kafka partition of a dataset, as stored. */
export interface PartitionProgress {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read: the last processed offset + 1. */
  readonly nextOffset: number;
  /** Largest event time (UTC epoch ms) seen on the partition, if any record carried one. */
  readonly maxEventTime?: number | undefined;
  /** Processing time (epoch ms) of the last batch that moved the partition forward. */
  readonly updatedAt: number;
}

export interface WatermarkPolicy {
  /** A partition without progress for longer than this stops holding the watermark back. */
  readonly idleTimeoutMs: number;
  readonly windowDurationMs: number;
  readonly allowedLatenessMs: number;
  /**
   * Partitions of the topic, when known: until that many have reported an event time, the
   * watermark waits for the missing ones (unless every reported partition is idle).
   */
  readonly expectedPartitions?: number | undefined;
}

/**
 * The dataset watermark implied by its partitions at `now`: the minimum event time over partitions
 * that are not idle. When every partition is idle the input is treated as complete, and the
 * watermark moves past the newest window plus its lateness so that window seals too; a later record
 * then counts as late and re-seals its window. Undefined while no partition has an event time, or
 * while fewer than the expected partitions have reported and some are still active.
 */
export function computeDatasetWatermark(
  partitions: readonly PartitionProgress[],
  now: number,
  policy: WatermarkPolicy,
): number | undefined {
  const withTime = partitions.filter((partition) => partition.maxEventTime !== undefined);
  if (withTime.length === 0) return undefined;
  const active = withTime.filter((partition) => now - partition.updatedAt <= policy.idleTimeoutMs);
  if (active.length > 0) {
    if (withTime.length < (policy.expectedPartitions ?? 0)) return undefined;
    return Math.min(...active.map((partition) => partition.maxEventTime!));
  }
  const newest = Math.max(...withTime.map((partition) => partition.maxEventTime!));
  return windowStartOf(newest, policy.windowDurationMs) + policy.windowDurationMs + policy.allowedLatenessMs;
}

/** Start of the window of `duration` ms (aligned to the epoch) that holds `time`. */
export function windowStartOf(time: number, durationMs: number): number {
  return Math.floor(time / durationMs) * durationMs;
}

/**
 * Whether the window starting at `windowStart` is closed under `watermark`: its end plus the allowed
 * lateness is at or before the watermark, so it may be sealed and read from its manifest. The one
 * rule of "closed" for sealing, late-data counting and reads; no watermark yet closes nothing.
 */
export function isWindowClosed(
  windowStart: number,
  watermark: number | undefined,
  policy: Pick<WatermarkPolicy, 'windowDurationMs' | 'allowedLatenessMs'>,
): boolean {
  return (
    watermark !== undefined && windowStart + policy.windowDurationMs + policy.allowedLatenessMs <= watermark
  );
}

/**
 * End of the newest window that is closed under `watermark` (isWindowClosed), in closed form: every
 * window ending at or before it is closed, every later one is not. Bounds the range a pass scans.
 */
export function sealableThrough(watermark: number, policy: WatermarkPolicy): number {
  return windowStartOf(watermark - policy.allowedLatenessMs, policy.windowDurationMs);
}
