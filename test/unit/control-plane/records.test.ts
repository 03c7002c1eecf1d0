import { ControlPlaneRecordInvalidError, parseJobRecord, parseSavepointRecord } from '@apphub/control-plane';
import { describe, expect, it } from 'vitest';

const savepoint = {
  jobName: 'sample-job',
  savepointId: 'trigger-1',
  jobId: 'a1b2',
  status: 'COMPLETED',
  trigger: 'periodic',
  directory: 's3://checkpoints/savepoints',
  location: 's3://checkpoints/savepoints/savepoint-a1b2-1',
  triggeredAt: '2026-12-03T10:00:00.000Z',
  completedAt: '2026-12-03T10:00:05.000Z',
};

describe('control-plane records read from DynamoDB', () => {
  it('gives an older job item the defaults of the fields it lacks, and drops unknown attributes', () => {
    // Act
    const record = parseJobRecord({ jobName: 'sample-job', desiredState: 'stopped', padding: 'x' }, 'jobs');

    // Assess
    expect(record).toEqual({
      jobName: 'sample-job',
      desiredState: 'stopped',
      sql: '',
      sqlHash: '',
      sessionProperties: {},
      allowNonRestoredState: false,
      parallelism: undefined,
      jobId: undefined,
      deployedSql: undefined,
      deployedSqlHash: undefined,
      restoreSource: { kind: 'none' },
      submittedAt: undefined,
      resubmitAttempts: 0,
      lastResubmitAt: undefined,
      lastError: undefined,
      health: undefined,
      updatedAt: new Date(0).toISOString(),
    });
    expect(Object.keys(record)).not.toContain('padding');
  });

  it('parses a savepoint item, its absent fields undefined', () => {
    expect(parseSavepointRecord({ ...savepoint, completedAt: undefined }, 'savepoints')).toEqual({
      ...savepoint,
      completedAt: undefined,
      failureCause: undefined,
    });
  });

  it('rejects a malformed job item with one line naming the table, the key and the field', () => {
    // Act
    const read = () =>
      parseJobRecord(
        { jobName: 'sample-job', desiredState: 'paused', restoreSource: { kind: 'savepoint' } },
        'jobs',
      );

    // Assess
    expect(read).toThrow(ControlPlaneRecordInvalidError);
    expect(read).toThrow(
      /^item jobName=sample-job of table jobs is not a job record: desiredState: .*; restoreSource\.path: .*; fix or delete the item$/,
    );
  });

  it('rejects a savepoint item without a status, naming both keys', () => {
    const { status: _, ...withoutStatus } = savepoint;

    expect(() => parseSavepointRecord(withoutStatus, 'savepoints')).toThrow(
      /^item jobName=sample-job, savepointId=trigger-1 of table savepoints is not a savepoint record: status: /,
    );
  });
});
