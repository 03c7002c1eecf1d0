import { fromScaled, type SampleAggregate, toScaled } from '@apphub/sample';

/**
 * A decimal as canonical text with the sample job's scale (DECIMAL(38, 9)), e.g. 12.340000000: the
 * same for the double a Parquet column holds (12.34), the decimal text Flink writes
 * (12.340000000) or an exact decimal read back as text. Anything else is returned as text, so it
 * compares unequal.
 */
export function canonicalDecimal(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'bigint') {
    try {
      return fromScaled(toScaled(typeof value === 'bigint' ? value.toString() : value));
    } catch {
      return String(value);
    }
  }
  return String(value);
}

/** An aggregate as the comparison sees it: its key and both measures as canonical text. */
export interface ComparableAggregate {
  readonly user_id: string;
  readonly window_start: string;
  readonly event_count: string;
  readonly total_value: string;
}

/** Canonical text of an aggregate, from whatever types its source gives (JSON numbers, bigint, double). */
export function comparable(
  row: Readonly<Partial<Record<'user_id' | 'window_start' | 'event_count' | 'total_value', unknown>>>,
): ComparableAggregate {
  const start = row.window_start;
  return {
    user_id: String(row.user_id),
    window_start:
      typeof start === 'number' ? new Date(start).toISOString() : new Date(String(start)).toISOString(),
    event_count: String(row.event_count),
    total_value: canonicalDecimal(row.total_value),
  };
}

/** How what arrived compares with what was expected, per key (user and window). */
export interface AggregateComparison {
  readonly equal: number;
  readonly missing: readonly string[];
  readonly different: readonly { readonly key: string; readonly expected: string; readonly actual: string }[];
  /** Rows of the run that no expected aggregate has (a window the sample did not fill). */
  readonly unexpected: readonly string[];
}

const keyOf = (row: ComparableAggregate) => `${row.user_id}@${row.window_start}`;
const measures = (row: ComparableAggregate) => `count ${row.event_count}, total ${row.total_value}`;

/** Compares expected aggregates with the rows that arrived (last one per key wins, as for upserts). */
export function compareAggregates(
  expected: readonly SampleAggregate[],
  actual: readonly ComparableAggregate[],
): AggregateComparison {
  const arrived = new Map(actual.map((row) => [keyOf(row), row]));
  const wanted = new Map(expected.map((aggregate) => [keyOf(comparable(aggregate)), comparable(aggregate)]));
  const missing: string[] = [];
  const different: { key: string; expected: string; actual: string }[] = [];
  let equal = 0;
  for (const [key, row] of wanted) {
    const got = arrived.get(key);
    if (got === undefined) missing.push(key);
    else if (measures(got) !== measures(row))
      different.push({ key, expected: measures(row), actual: measures(got) });
    else equal += 1;
  }
  const unexpected = [...arrived.keys()].filter((key) => !wanted.has(key));
  return { equal, missing, different, unexpected };
}

/** True when every expected aggregate arrived with equal measures and nothing else did. */
export function matches(comparison: AggregateComparison): boolean {
  return (
    comparison.missing.length === 0 && comparison.different.length === 0 && comparison.unexpected.length === 0
  );
}

/** The comparison in one line, for the step's detail. */
export function describeComparison(comparison: AggregateComparison, expected: number): string {
  const parts = [`${comparison.equal} of ${expected} equal the expected aggregates`];
  if (comparison.missing.length > 0)
    parts.push(`${comparison.missing.length} missing (e.g. ${comparison.missing[0]})`);
  if (comparison.different.length > 0) {
    const [first] = comparison.different;
    parts.push(
      `${comparison.different.length} different (e.g. ${first!.key}: ${first!.actual}, expected ${first!.expected})`,
    );
  }
  if (comparison.unexpected.length > 0)
    parts.push(`${comparison.unexpected.length} unexpected (e.g. ${comparison.unexpected[0]})`);
  return parts.join('; ');
}
