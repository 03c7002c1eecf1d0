import { seededRandom } from '@apphub/sample';
import { FAULT_SPECS, type FaultKind, type FaultTarget } from './faults.js';

/** One fault of the plan: when it starts, counted from the start of the traffic. */
export interface PlannedFault {
  readonly index: number;
  readonly kind: FaultKind;
  readonly target: FaultTarget;
  readonly atMs: number;
}

export interface ScheduleOptions {
  readonly seed: number;
  readonly kinds: readonly FaultKind[];
  /** How long traffic flows; faults start inside it, after `quietMs` and before its last `quietMs`. */
  readonly durationMs: number;
  /** Traffic before the first fault and after the last one starts (default 30 s). */
  readonly quietMs?: number;
  /** Time per fault (default 60 s): a run of N kinds gets one round of them per N minutes, at least one. */
  readonly slotMs?: number;
}

/**
 * The seeded fault plan: rounds of every kind in a shuffled order, as many rounds as fit one fault
 * per `slotMs` (at least one), spread evenly with some jitter. Every third fault starts together
 * with the one before it (2 s later), on another target, so faults also overlap. Faults on one target,
 * or on a component another's recovery needs (faultLanes), never overlap: the soak starts one only
 * after the last on its lanes recovered.
 */
export function planFaults(options: ScheduleOptions): PlannedFault[] {
  const next = seededRandom(options.seed);
  const quietMs = options.quietMs ?? 30_000;
  const slotMs = options.slotMs ?? 60_000;
  const usableMs = Math.max(0, options.durationMs - 2 * quietMs);
  const rounds = Math.max(1, Math.floor(usableMs / slotMs / Math.max(1, options.kinds.length)));
  const order: FaultKind[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const kinds = [...options.kinds];
    for (let index = kinds.length - 1; index > 0; index -= 1) {
      const other = Math.floor(next() * (index + 1));
      [kinds[index], kinds[other]] = [kinds[other]!, kinds[index]!];
    }
    order.push(...kinds);
  }
  const spacing = usableMs / Math.max(1, order.length);
  const plan: PlannedFault[] = [];
  for (const [index, kind] of order.entries()) {
    const previous = plan.at(-1);
    const target = FAULT_SPECS[kind].target;
    const overlaps = index % 3 === 2 && previous !== undefined && previous.target !== target;
    const atMs = overlaps
      ? previous.atMs + 2_000
      : Math.round(quietMs + index * spacing + next() * spacing * 0.5);
    plan.push({ index, kind, target, atMs });
  }
  return plan.sort((a, b) => a.atMs - b.atMs || a.index - b.index);
}
