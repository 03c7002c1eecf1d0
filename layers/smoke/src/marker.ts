import { randomBytes } from 'node:crypto';

/**
 * The reserved prefix of every smoke record's `user_id` and `event_id`, followed by the run id: smoke
 * records are never mistaken for real data, and queries leave them out (`npm run query` by default,
 * Athena with `WHERE user_id NOT LIKE 'apphub-smoke-%'`). No real user id may start with it.
 */
export const SMOKE_ID_PREFIX = 'apphub-smoke-';

/** A fresh run id: the UTC start time to the second and four random hex digits, e.g. 20261207-110512-3fa2. */
export function newSmokeRunId(now: number = Date.now()): string {
  const time = new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${time}-${randomBytes(2).toString('hex')}`;
}

/** The id prefix of one run's records: `apphub-smoke-<run id>-`. */
export function smokeRunPrefix(runId: string): string {
  return `${SMOKE_ID_PREFIX}${runId}-`;
}

/** True for an id of a smoke record (of any run). */
export function isSmokeId(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith(SMOKE_ID_PREFIX);
}

/**
 * True for a row of a smoke run: one of its key fields (a dataset's upsert key, `user_id` for the
 * sample job's aggregates) holds a smoke id.
 */
export function isSmokeRow(values: Readonly<Record<string, unknown>>, keyFields: readonly string[]): boolean {
  return keyFields.some((field) => isSmokeId(values[field]));
}
