import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SqlGatewayClient } from '@apphub/flink';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../local/src/stack/paths.js';
import { endpoints } from '../helpers.js';

/**
 * The sample job reads its input with the apphub-checked-json format (one parse per record). Its rows
 * must be what the job's previous reading produced: JSON_VALUE per field and TRY_CAST per type, with
 * the same reject reasons in the same order. Both readings run side by side in batch mode over edge
 * cases (numbers as ids, exponents, trailing zeros, offsets, dates without a time, overflowing
 * decimals, containers, repeated keys, trailing text) and must agree row by row.
 */
const reference = `
SELECT payload,
  CASE
    WHEN NOT (payload IS JSON OBJECT) THEN 'value is not a JSON object'
    WHEN JSON_VALUE(payload, '$.event_id') IS NULL THEN 'event_id is missing'
    WHEN JSON_VALUE(payload, '$.user_id') IS NULL THEN 'user_id is missing'
    WHEN JSON_VALUE(payload, '$.occurred_at') IS NULL THEN 'occurred_at is missing'
    WHEN TRY_CAST(REPLACE(REPLACE(JSON_VALUE(payload, '$.occurred_at'), 'T', ' '), 'Z', '') AS TIMESTAMP_LTZ(3)) IS NULL
      THEN 'occurred_at is not an ISO-8601 UTC timestamp'
    WHEN JSON_VALUE(payload, '$.value') IS NULL THEN 'value is missing'
    WHEN TRY_CAST(JSON_VALUE(payload, '$.value') AS DECIMAL(38, 9)) IS NULL THEN 'value is not a number'
  END,
  JSON_VALUE(payload, '$.event_id'),
  JSON_VALUE(payload, '$.user_id'),
  CAST(TRY_CAST(REPLACE(REPLACE(JSON_VALUE(payload, '$.occurred_at'), 'T', ' '), 'Z', '') AS TIMESTAMP_LTZ(3)) AS STRING),
  CAST(TRY_CAST(JSON_VALUE(payload, '$.value') AS DECIMAL(38, 9)) AS STRING)
FROM reference_input`;

const checked = `
SELECT payload, reject_reason, event_id, user_id, CAST(occurred_at AS STRING), CAST(\`value\` AS STRING)
FROM checked_input`;

describe('the apphub-checked-json format', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'apphub-checked-json-'));
  const input = path.join(directory, 'edge-cases.jsonl');
  cpSync(path.join(repoRoot, 'test/fixtures/sample-events/edge-cases.jsonl'), input);
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('reads every field and reject reason as JSON_VALUE and TRY_CAST did, from one parse', async () => {
    const gateway = new SqlGatewayClient({ baseUrl: endpoints.sqlGatewayUrl });
    const session = await gateway.openSession({
      'execution.runtime-mode': 'batch',
      'table.local-time-zone': 'UTC',
      // Named, or Flink names each query's job after its whole SQL text.
      'pipeline.name': 'it-checked-json-parity',
    });
    try {
      const table = (name: string, columns: string, format: string) =>
        `CREATE TEMPORARY TABLE ${name} (${columns}) WITH ('connector' = 'filesystem', 'path' = 'file://${input}', 'format' = '${format}')`;
      await gateway.runStatement(session, table('reference_input', 'payload STRING', 'raw'));
      await gateway.runStatement(
        session,
        table(
          'checked_input',
          'payload STRING, reject_reason STRING, event_id STRING, user_id STRING, occurred_at TIMESTAMP_LTZ(3), `value` DECIMAL(38, 9)',
          'apphub-checked-json',
        ),
      );
      const byPayload = (rows: readonly (readonly unknown[])[]) =>
        new Map(rows.map((row) => [String(row[0]), JSON.stringify(row)]));
      const expected = byPayload(
        (await gateway.runStatement(session, reference)).rows.map((row) =>
          // A rejected record carries only its payload and reason; nothing half-read.
          row[1] === null ? row : [row[0], row[1], null, null, null, null],
        ),
      );
      const actual = byPayload((await gateway.runStatement(session, checked)).rows);
      expect(expected.size).toBeGreaterThanOrEqual(45);
      expect(new Set([...expected.values()].map((row) => JSON.parse(row)[1])).size).toBeGreaterThanOrEqual(6);
      expect(actual).toEqual(expected);
    } finally {
      await gateway.closeSession(session);
    }
  });
});
