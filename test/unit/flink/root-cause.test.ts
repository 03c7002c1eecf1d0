import { readFileSync } from 'node:fs';
import { flinkRootCause } from '@apphub/flink';
import { describe, expect, it } from 'vitest';

/** Error bodies captured from the real SQL Gateway 2.2.1 (stack frames removed, chains kept). */
function fixture(name: string): string[] {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')).errors;
}

describe('flinkRootCause', () => {
  it('returns the innermost cause of a validation error chain', () => {
    expect(flinkRootCause(fixture('sql-gateway-object-not-found'))).toBe("Object 'x' not found");
  });

  it('returns the innermost cause of a parse error chain', () => {
    expect(flinkRootCause(fixture('sql-gateway-parse-error'))).toBe(
      'Non-query expression encountered in illegal context',
    );
  });

  it('skips causes without a message and uses the nearest one that has one', () => {
    const chain = [
      'org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute\n\tat a.b(C.java:1)\nCaused by: java.util.concurrent.CompletionException: java.io.IOException: disk full\nCaused by: java.io.IOException\n\tat d.e(F.java:2)',
    ];

    expect(flinkRootCause(chain)).toBe('disk full');
  });

  it('falls back to the headline exception message, then to the first line', () => {
    expect(flinkRootCause(['org.apache.flink.runtime.rest.NotFoundException: Job 1 not found\n\tat x'])).toBe(
      'Job 1 not found',
    );
    expect(flinkRootCause(['Bad request, could not parse parameters'])).toBe(
      'Bad request, could not parse parameters',
    );
    expect(flinkRootCause([])).toBe('Flink returned an error without a message');
  });
});
