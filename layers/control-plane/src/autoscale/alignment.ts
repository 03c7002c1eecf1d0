/** How a keyed job's parallelism is fitted to its key groups. */
export type KeyGroupAlignment = 'evenly-spread' | 'maximize-utilization';

/** What {@link alignToKeyGroups} chose. */
export interface AlignedParallelism {
  readonly parallelism: number;
  /** True when no parallelism in the wanted direction fits, so the job keeps its current one. */
  readonly blocked: boolean;
}

/**
 * Fits `wanted` (already within `lower`..`upper`, and not `current`) to `keyGroups`, the Flink
 * Kubernetes Operator's rule (JobVertexScaler.scale): search upwards from `wanted` for a divisor of
 * the key groups (with maximize-utilization, also for the first parallelism that gives each subtask
 * fewer key groups), never past `current` when scaling down; failing that, take the smallest
 * parallelism below `wanted` that keeps as many key groups per subtask. A result that would reverse
 * the direction (or not move) keeps `current`.
 */
export function alignToKeyGroups(input: {
  readonly current: number;
  readonly wanted: number;
  readonly keyGroups: number;
  readonly lower: number;
  readonly upper: number;
  readonly mode: KeyGroupAlignment;
}): AlignedParallelism {
  const { current, wanted, keyGroups, lower, upper, mode } = input;
  const up = wanted > current;
  const limit = Math.min(keyGroups, upper);
  const searchTo = up ? limit : Math.min(current, limit);
  const groupsPerSubtask = (parallelism: number) => Math.floor(keyGroups / parallelism);
  for (let parallelism = wanted; parallelism <= searchTo; parallelism++) {
    const divides = keyGroups % parallelism === 0;
    const fewerGroups =
      mode === 'maximize-utilization' && groupsPerSubtask(parallelism) < groupsPerSubtask(wanted);
    if (divides || fewerGroups) return settle(parallelism);
  }
  let parallelism = wanted;
  for (; parallelism > 0; parallelism--) {
    if (groupsPerSubtask(parallelism) > groupsPerSubtask(wanted)) {
      if (keyGroups % parallelism !== 0) parallelism++;
      break;
    }
  }
  return settle(Math.max(parallelism, lower));

  function settle(parallelism: number): AlignedParallelism {
    const reversed = up ? parallelism <= current : parallelism >= current;
    return reversed ? { parallelism: current, blocked: true } : { parallelism, blocked: false };
  }
}

/** Greatest common divisor: the key groups every keyed vertex can split evenly. */
export function greatestCommonDivisor(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  return values.reduce((a, b) => {
    let [x, y] = [a, b];
    while (y !== 0) [x, y] = [y, x % y];
    return x;
  });
}
