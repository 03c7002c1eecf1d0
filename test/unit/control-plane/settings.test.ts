import { readFileSync } from 'node:fs';
import {
  ControlPlaneEventInvalidError,
  controlPlaneSettings,
  deploymentStatements,
  hashSql,
  parseControlPlaneConfig,
  parseScheduledEvent,
  parseSubmitSqlRequest,
  unrestorableReason,
} from '@apphub/control-plane';
import { ConfigInvalidError } from '@apphub/platform';
import { describe, expect, it } from 'vitest';

const required = {
  APPHUB_FLINK_REST_URL: 'http://127.0.0.1:8081/',
  APPHUB_SQL_GATEWAY_URL: 'http://127.0.0.1:8083',
  APPHUB_JOBS_TABLE: 'streaming_jobs',
  APPHUB_SAVEPOINTS_TABLE: 'streaming_savepoints',
  APPHUB_LEASES_TABLE: 'streaming_leases',
  APPHUB_SAVEPOINT_DIR: 's3://apphub-flink-checkpoints/savepoints/',
};

describe('parseControlPlaneConfig', () => {
  it('parses the Lambda environment with documented defaults', () => {
    const config = parseControlPlaneConfig({ ...required, AWS_REGION: 'eu-west-1' });

    expect(config).toMatchObject({
      flinkRestUrl: 'http://127.0.0.1:8081',
      savepointDir: 's3://apphub-flink-checkpoints/savepoints',
      savepointRetention: { maxCount: 10, maxAgeMs: 24 * 3_600_000 },
      savepointTimeoutMs: 300_000,
      reconcile: { maxAttempts: 5, backoffMs: 30_000 },
      checkpointDir: undefined,
      awsEndpointUrl: undefined,
    });
  });

  it('leaves the autoscaler off unless APPHUB_AUTOSCALE switches it on, with its decisions table', () => {
    const off = parseControlPlaneConfig(required);
    const on = parseControlPlaneConfig({
      ...required,
      APPHUB_AUTOSCALE: '{"enabled":true,"maxRescalesPerHour":2}',
      APPHUB_AUTOSCALE_DECISIONS_TABLE: 'streaming_autoscale_decisions',
    });

    expect(off.autoscale.enabled).toBe(false);
    expect(off.autoscaleDecisionsTable).toBeUndefined();
    expect(on.autoscale).toMatchObject({ enabled: true, maxRescalesPerHour: 2, stabilizationSeconds: 300 });
    expect(() => parseControlPlaneConfig({ ...required, APPHUB_AUTOSCALE: '{"enabled":true}' })).toThrow(
      'control-plane environment is invalid: APPHUB_AUTOSCALE_DECISIONS_TABLE is required when APPHUB_AUTOSCALE is enabled',
    );
    expect(() => parseControlPlaneConfig({ ...required, APPHUB_AUTOSCALE: '{"enable":true}' })).toThrow(
      /APPHUB_AUTOSCALE: .*enable/,
    );
    expect(() => parseControlPlaneConfig({ ...required, APPHUB_AUTOSCALE: 'on' })).toThrow(
      /APPHUB_AUTOSCALE: expected JSON/,
    );
  });

  it('names the bad field, and rejects unknown APPHUB_* variables (typos)', () => {
    expect(() => parseControlPlaneConfig({ ...required, APPHUB_SAVEPOINT_MAX_COUNT: 'ten' })).toThrow(
      /control-plane environment is invalid: APPHUB_SAVEPOINT_MAX_COUNT: /,
    );
    expect(() => parseControlPlaneConfig({ ...required, APPHUB_SAVEPOINT_DIR: '/tmp/sp' })).toThrow(
      'control-plane environment is invalid: APPHUB_SAVEPOINT_DIR: expected s3://... or file://...',
    );
    expect(() => parseControlPlaneConfig({ ...required, APPHUB_SAVEPIONT_MAX_COUNT: '3' })).toThrow(
      ConfigInvalidError,
    );
  });

  it('documents every setting in docs/control-plane.md', () => {
    const docs = readFileSync(new URL('../../../docs/control-plane.md', import.meta.url), 'utf8');

    const undocumented = Object.values(controlPlaneSettings)
      .map((setting) => setting.env)
      .filter((name) => !docs.includes(`\`${name}\``));

    expect(undocumented).toEqual([]);
  });
});

/** Every submission keeps its checkpoints when it ends, so reconcile can restore it after a JobManager loss. */
const retention =
  "SET 'execution.checkpointing.externalized-checkpoint-retention' = 'RETAIN_ON_CANCELLATION'";

describe('submit-sql request and deployment statements', () => {
  it('fills defaults and rejects unsafe job names and unknown keys in one line', () => {
    expect(parseSubmitSqlRequest({ jobName: 'orders-v2', sqlTemplate: 'INSERT INTO a SELECT 1' })).toEqual({
      jobName: 'orders-v2',
      sqlTemplate: 'INSERT INTO a SELECT 1',
      variables: {},
      allowNonRestoredState: false,
      sessionProperties: {},
    });
    expect(() => parseSubmitSqlRequest({ jobName: '../etc', sqlTemplate: 'x' })).toThrow(
      ControlPlaneEventInvalidError,
    );
    expect(() =>
      parseSubmitSqlRequest({ jobName: 'a', sqlTemplate: 'x', restore: { kind: 'latest' } }),
    ).toThrow(/submit-sql request is invalid: restore.kind/);
    expect(() => parseSubmitSqlRequest({ jobName: 'a', sqlTemplate: 'x', extra: 1 })).toThrow(/extra/);
  });

  it('names the job and restores with ignore-unclaimed-state only when allowed', () => {
    const record = {
      jobName: "o'rders",
      sql: 'CREATE TABLE a (x INT);\nINSERT INTO b SELECT x FROM a;',
      allowNonRestoredState: true,
    };

    expect(deploymentStatements(record, { kind: 'savepoint', path: 'file:/sp/x' })).toEqual([
      "SET 'pipeline.name' = 'o''rders'",
      retention,
      "SET 'execution.savepoint.path' = 'file:/sp/x'",
      "SET 'execution.savepoint.ignore-unclaimed-state' = 'true'",
      'CREATE TABLE a (x INT)',
      'INSERT INTO b SELECT x FROM a',
    ]);
    expect(deploymentStatements({ ...record, allowNonRestoredState: false }, { kind: 'none' })).toEqual([
      "SET 'pipeline.name' = 'o''rders'",
      retention,
      'CREATE TABLE a (x INT)',
      'INSERT INTO b SELECT x FROM a',
    ]);
  });

  it('sets parallelism.default after a rescale, right before the script', () => {
    const record = { jobName: 'orders', sql: 'INSERT INTO b SELECT 1', allowNonRestoredState: false };

    expect(deploymentStatements({ ...record, parallelism: 6 }, { kind: 'none' })).toEqual([
      "SET 'pipeline.name' = 'orders'",
      retention,
      "SET 'parallelism.default' = '6'",
      'INSERT INTO b SELECT 1',
    ]);
  });

  it('refuses a submission whose checkpoints would not survive a JobManager loss', () => {
    const key = 'execution.checkpointing.externalized-checkpoint-retention';

    expect(unrestorableReason('INSERT INTO b SELECT 1', { [key]: 'RETAIN_ON_CANCELLATION' })).toBeUndefined();
    expect(unrestorableReason('INSERT INTO b SELECT 1', { [key]: 'DELETE_ON_CANCELLATION' })).toMatch(
      /must stay RETAIN_ON_CANCELLATION/,
    );
    expect(
      unrestorableReason(`set '${key}' = 'NO_EXTERNALIZED_CHECKPOINTS';\nINSERT INTO b SELECT 1`, {}),
    ).toMatch(/must not SET/);
  });

  it('hashes SQL by its statements, not its layout', () => {
    expect(hashSql('-- v1\nINSERT INTO b SELECT 1;\n\n')).toBe(hashSql('INSERT INTO b SELECT 1'));
    expect(hashSql('INSERT INTO b SELECT 1')).not.toBe(hashSql('INSERT INTO b SELECT 2'));
  });
});

describe('parseScheduledEvent', () => {
  const fixture = JSON.parse(
    readFileSync(new URL('../../fixtures/eventbridge/scheduled-event.json', import.meta.url), 'utf8'),
  );

  it('accepts the event AWS sends for a schedule', () => {
    expect(parseScheduledEvent(fixture)).toMatchObject({ source: 'aws.events', detail: {} });
  });

  it('rejects other events with one line naming the field', () => {
    expect(() => parseScheduledEvent({ ...fixture, 'detail-type': 'Object Created' })).toThrow(
      /EventBridge scheduled event is invalid: detail-type: /,
    );
  });
});
