/** Memory sizes (MiB) from `fromGiB` to `toGiB` in steps of `stepGiB`. */
function gibRange(fromGiB: number, toGiB: number, stepGiB: number): readonly number[] {
  const sizes: number[] = [];
  for (let gib = fromGiB; gib <= toGiB; gib += stepGiB) sizes.push(gib * 1024);
  return Object.freeze(sizes);
}

/**
 * The task sizes Fargate runs (Linux), CPU units to the memory sizes in MiB each takes: the task size
 * table of https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 * (0.25 vCPU: 512 MiB, 1 GB or 2 GB; 0.5 vCPU: 1-4 GB; 1 vCPU: 2-8 GB; 2 vCPU: 4-16 GB and 4 vCPU:
 * 8-30 GB in 1 GB steps; 8 vCPU: 16-60 GB in 4 GB steps; 16 vCPU: 32-120 GB in 8 GB steps). Any
 * other pair fails when the task definition is registered.
 */
export const FARGATE_TASK_SIZES: Readonly<Record<number, readonly number[]>> = Object.freeze({
  256: Object.freeze([512, 1024, 2048]),
  512: gibRange(1, 4, 1),
  1024: gibRange(2, 8, 1),
  2048: gibRange(4, 16, 1),
  4096: gibRange(8, 30, 1),
  8192: gibRange(16, 60, 4),
  16384: gibRange(32, 120, 8),
});

/** "2048-8192 MiB in steps of 1024" for an even range, else "512, 1024 or 2048 MiB". */
function describeSizes(sizes: readonly number[]): string {
  const step = sizes[1]! - sizes[0]!;
  const even = sizes.length > 3 && sizes.every((size, index) => size === sizes[0]! + index * step);
  if (even) return `${sizes[0]}-${sizes[sizes.length - 1]} MiB in steps of ${step}`;
  return `${sizes.slice(0, -1).join(', ')} or ${sizes[sizes.length - 1]} MiB`;
}

/** Why Fargate would refuse a task of `cpu` units and `memoryMiB`, or undefined when it runs it. */
export function fargateSizeProblem(cpu: number, memoryMiB: number): string | undefined {
  const sizes = FARGATE_TASK_SIZES[cpu];
  if (sizes === undefined) return `Fargate has no task size of ${cpu} CPU units`;
  if (sizes.includes(memoryMiB)) return undefined;
  return `Fargate does not run ${cpu} CPU units with ${memoryMiB} MiB: ${cpu} CPU units take ${describeSizes(sizes)}`;
}
