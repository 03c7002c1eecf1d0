import type { SampleAggregate } from '@apphub/sample';
import { type ComparableAggregate, comparable } from '@apphub/smoke';

/** How one output (the sink topic's upsert view, or the sealed lake) compares with the generator's aggregates. */
export interface Exactness {
  readonly expected: number;
  /** Keys (user and window) whose count and total equal the expected ones, each present once. */
  readonly exact: number;
  /** Events the output is missing: a missing key's whole count, else what its count falls short by. */
  readonly lostRecords: number;
  /** Events counted more than once: what a count exceeds by, an unexpected key's count, duplicate rows. */
  readonly doubledRecords: number;
  /** Keys with the expected count but another total. */
  readonly wrongTotals: number;
  /** Keys present more than once (the lake must hold one row per key). */
  readonly duplicateKeys: number;
  /** One offending key and what was found, for the report; undefined when exact. */
  readonly example?: string;
}

const keyOf = (row: ComparableAggregate) => `${row.user_id}@${row.window_start}`;

/**
 * Compares `rows` with the aggregates computed from the generated events. With `upsert`, rows are a
 * topic's records in order and the latest per key counts (the upsert view); without, every row is
 * one stored row and a key present twice is a duplicate whose extra counts are doubled records.
 */
export function checkExactness(
  expected: readonly SampleAggregate[],
  rows: readonly ComparableAggregate[],
  options: { readonly upsert: boolean },
): Exactness {
  const found = new Map<string, ComparableAggregate[]>();
  for (const row of rows) {
    const key = keyOf(row);
    const seen = found.get(key);
    if (options.upsert || seen === undefined) found.set(key, [row]);
    else seen.push(row);
  }
  let exact = 0;
  let lostRecords = 0;
  let doubledRecords = 0;
  let wrongTotals = 0;
  let duplicateKeys = 0;
  let example: string | undefined;
  const note = (text: string) => {
    example ??= text;
  };
  const wanted = new Set<string>();
  for (const aggregate of expected) {
    const want = comparable(aggregate);
    const key = keyOf(want);
    wanted.add(key);
    const [got, ...extra] = found.get(key) ?? [];
    if (got === undefined) {
      lostRecords += Number(want.event_count);
      note(`${key} missing (expected count ${want.event_count})`);
      continue;
    }
    if (extra.length > 0) {
      duplicateKeys += 1;
      doubledRecords += extra.reduce((sum, row) => sum + Number(row.event_count), 0);
      note(`${key} present ${extra.length + 1} times`);
    }
    const difference = Number(got.event_count) - Number(want.event_count);
    if (difference < 0) {
      lostRecords -= difference;
      note(`${key} count ${got.event_count}, expected ${want.event_count}`);
    } else if (difference > 0) {
      doubledRecords += difference;
      note(`${key} count ${got.event_count}, expected ${want.event_count}`);
    } else if (got.total_value !== want.total_value) {
      wrongTotals += 1;
      note(`${key} total ${got.total_value}, expected ${want.total_value}`);
    } else if (extra.length === 0) {
      exact += 1;
    }
  }
  for (const [key, unexpected] of found) {
    if (wanted.has(key)) continue;
    doubledRecords += unexpected.reduce((sum, row) => sum + Number(row.event_count), 0);
    note(`${key} not expected at all`);
  }
  return {
    expected: expected.length,
    exact,
    lostRecords,
    doubledRecords,
    wrongTotals,
    duplicateKeys,
    ...(example === undefined ? {} : { example }),
  };
}

/** Whether every expected aggregate is there once, exact, and nothing else is. */
export function isExact(result: Exactness): boolean {
  return result.exact === result.expected && result.doubledRecords === 0 && result.lostRecords === 0;
}

/** How the dead letters compare with the malformed events produced (the sink is at-least-once). */
export interface DeadLetterAccount {
  readonly produced: number;
  /** Malformed events found on the dead-letter topic (each counted once). */
  readonly found: number;
  readonly missing: number;
  /** Dead letters beyond the first per event: replays after a restart, allowed for an at-least-once sink. */
  readonly redelivered: number;
}

/** Matches the ids of the malformed events produced with the ids the dead letters carry. */
export function accountDeadLetters(
  produced: readonly string[],
  arrived: readonly string[],
): DeadLetterAccount {
  const wanted = new Set(produced);
  const seen = new Set<string>();
  let redelivered = 0;
  for (const id of arrived) {
    if (!wanted.has(id)) continue;
    if (seen.has(id)) redelivered += 1;
    else seen.add(id);
  }
  return { produced: wanted.size, found: seen.size, missing: wanted.size - seen.size, redelivered };
}
