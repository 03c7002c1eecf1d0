import { table } from '../cli/table.js';
import { type DeadLetterAccount, type Exactness, isExact } from './exactness.js';
import type { FaultKind } from './faults.js';

/** One injected fault and how long the stack took to come back from it (undefined: it did not). */
export interface FaultOutcome {
  readonly kind: FaultKind;
  /** From the fault's end (the kill, the SIGCONT) until the stack and the pipeline were whole again. */
  readonly recoveryMs: number | undefined;
  /** What recovery waited for, or why it failed. */
  readonly detail: string;
}

export interface SoakResult {
  readonly faults: readonly FaultOutcome[];
  readonly sink: Exactness;
  readonly lake: Exactness;
  readonly deadLetters: DeadLetterAccount;
  readonly events: number;
}

/** The value at quantile `q` (0..1) of sorted `values`, nearest rank. */
export function quantile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

/** Records lost and doubled over both outputs: what the exit status rests on. */
export function lostAndDoubled(result: SoakResult): { lost: number; doubled: number } {
  return {
    lost: result.sink.lostRecords + result.lake.lostRecords + result.deadLetters.missing,
    doubled: result.sink.doubledRecords + result.lake.doubledRecords,
  };
}

/** True when nothing was lost or doubled, every aggregate is exact and every fault recovered. */
export function soakPassed(result: SoakResult): boolean {
  const { lost, doubled } = lostAndDoubled(result);
  return (
    lost === 0 &&
    doubled === 0 &&
    isExact(result.sink) &&
    isExact(result.lake) &&
    result.lake.duplicateKeys === 0 &&
    result.faults.every((fault) => fault.recoveryMs !== undefined)
  );
}

function exactnessLine(name: string, result: Exactness): string {
  return (
    `${name}: ${result.exact} of ${result.expected} aggregates exact, ${result.lostRecords} records lost, ` +
    `${result.doubledRecords} doubled, ${result.wrongTotals} wrong totals, ${result.duplicateKeys} duplicate keys` +
    (result.example === undefined ? '' : ` (e.g. ${result.example})`)
  );
}

/** The soak's table: faults by kind with recovery p50 and max, then exactness and the totals. */
export function formatSoakReport(result: SoakResult): string {
  const kinds = [...new Set(result.faults.map((fault) => fault.kind))].sort();
  const rows = kinds.map((kind) => {
    const faults = result.faults.filter((fault) => fault.kind === kind);
    const recovered = faults.flatMap((fault) => (fault.recoveryMs === undefined ? [] : [fault.recoveryMs]));
    return [
      kind,
      String(faults.length),
      String(faults.length - recovered.length),
      seconds(quantile(recovered, 0.5)),
      seconds(quantile(recovered, 1)),
    ];
  });
  const { lost, doubled } = lostAndDoubled(result);
  const dead = result.deadLetters;
  return [
    table(['fault', 'injected', 'not recovered', 'recovery p50', 'recovery max'], rows),
    '',
    `events produced: ${result.events}`,
    exactnessLine('sink topic (upsert view)', result.sink),
    exactnessLine('sealed lake (latest manifests)', result.lake),
    `dead letters: ${dead.found} of ${dead.produced} malformed events, ${dead.missing} missing, ${dead.redelivered} redelivered (at-least-once sink)`,
    `records lost: ${lost}`,
    `records doubled: ${doubled}`,
    soakPassed(result) ? 'PASS' : 'FAIL',
  ].join('\n');
}
