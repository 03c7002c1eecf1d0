import {
  backoffAfter,
  decideLiveJob,
  decideReconcile,
  decideRestoreJob,
  decideRetention,
  decideSavepoint,
  isJobManagerReady,
  type JobRecord,
  matchFlinkJob,
  type ObservedJob,
  planRescale,
  type RescaleObservation,
  type SavepointRecord,
  taskManagersFor,
  unmanagedJobNames,
} from '@apphub/control-plane';
import type { FlinkJob, FlinkJobState } from '@apphub/flink';
import { describe, expect, it } from 'vitest';

const now = Date.parse('2026-11-29T12:00:00Z');
const policy = { maxAttempts: 3, backoffMs: 30_000 };

function record(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    jobName: 'orders',
    desiredState: 'running',
    sql: 'INSERT INTO b SELECT * FROM a',
    sqlHash: 'h1',
    sessionProperties: {},
    allowNonRestoredState: false,
    parallelism: undefined,
    autoscale: undefined,
    jobId: 'j1',
    deployedSql: 'INSERT INTO b SELECT * FROM a',
    deployedSqlHash: 'h1',
    restoreSource: { kind: 'savepoint', path: 'file:///sp/original' },
    submittedAt: '2026-11-29T10:00:00Z',
    resubmitAttempts: 0,
    lastResubmitAt: undefined,
    lastError: undefined,
    health: undefined,
    updatedAt: '2026-11-29T10:00:00Z',
    ...overrides,
  };
}

function flinkJob(state: FlinkJobState, id = 'j1'): FlinkJob {
  return {
    id,
    name: 'orders',
    state,
    startTime: now - 60_000,
    endTime: -1,
    allTasksRunning: state === 'RUNNING',
    parallelism: 2,
  };
}

function observed(overrides: Partial<ObservedJob> = {}): ObservedJob {
  return {
    record: record(),
    flinkJob: flinkJob('RUNNING'),
    savepointInFlight: false,
    latestCheckpoint: undefined,
    latestSavepoint: undefined,
    now,
    ...overrides,
  };
}

describe('decideReconcile', () => {
  it('leaves a running job with unchanged SQL alone', () => {
    expect(decideReconcile(observed(), policy)).toEqual({ action: 'none', reason: 'job is RUNNING' });
  });

  it('leaves a job Flink is restarting itself alone (TaskManager loss)', () => {
    expect(decideReconcile(observed({ flinkJob: flinkJob('RESTARTING') }), policy).action).toBe('none');
  });

  it('resubmits a job its JobManager suspended, and never takes a suspended job for the live one', () => {
    const suspended = { ...flinkJob('SUSPENDED', 'j1'), startTime: now };
    const restarting = flinkJob('RESTARTING', 'j2');

    expect(decideReconcile(observed({ flinkJob: suspended }), policy)).toMatchObject({
      action: 'resubmit',
      reason: 'job is SUSPENDED',
    });
    expect(matchFlinkJob({ jobName: 'orders', jobId: undefined }, [suspended, restarting])).toBe(restarting);
  });

  it('resubmits a lost job from the newer of its latest checkpoint and savepoint', () => {
    const decision = decideReconcile(
      observed({
        flinkJob: undefined,
        latestCheckpoint: { path: 'file:///cp/j1/chk-7', completedAt: now - 10_000 },
        latestSavepoint: { path: 'file:///sp/orders/savepoint-1', completedAt: now - 3_600_000 },
      }),
      policy,
    );

    expect(decision).toEqual({
      action: 'resubmit',
      reason: 'job is not known to Flink',
      restore: { kind: 'checkpoint', path: 'file:///cp/j1/chk-7' },
      attempt: 1,
    });
  });

  it('prefers a savepoint newer than the last checkpoint (e.g. taken by stop)', () => {
    const decision = decideReconcile(
      observed({
        flinkJob: flinkJob('FAILED'),
        latestCheckpoint: { path: 'file:///cp/j1/chk-7', completedAt: now - 60_000 },
        latestSavepoint: { path: 'file:///sp/orders/savepoint-2', completedAt: now - 5_000 },
      }),
      policy,
    );

    expect(decision).toMatchObject({
      action: 'resubmit',
      restore: { kind: 'savepoint', path: 'file:///sp/orders/savepoint-2' },
    });
  });

  it('falls back to the original restore source when nothing newer exists', () => {
    const decision = decideReconcile(observed({ flinkJob: flinkJob('FAILED') }), policy);

    expect(decision).toMatchObject({
      action: 'resubmit',
      restore: { kind: 'savepoint', path: 'file:///sp/original' },
    });
  });

  it('backs off exponentially between attempts, then gives up after the bounded attempts', () => {
    const lastResubmitAt = new Date(now - 45_000).toISOString();

    const waiting = decideReconcile(
      observed({ flinkJob: undefined, record: record({ resubmitAttempts: 2, lastResubmitAt }) }),
      policy,
    );
    const retrying = decideReconcile(
      observed({ flinkJob: undefined, record: record({ resubmitAttempts: 1, lastResubmitAt }) }),
      policy,
    );
    const givingUp = decideReconcile(
      observed({ flinkJob: undefined, record: record({ resubmitAttempts: 3, lastResubmitAt }) }),
      policy,
    );

    expect(waiting).toEqual({
      action: 'wait',
      reason: 'job is not known to Flink; backing off',
      retryAt: now + 15_000,
    });
    expect(retrying).toMatchObject({ action: 'resubmit', attempt: 2 });
    expect(givingUp).toEqual({
      action: 'give-up',
      reason: 'job is not known to Flink; gave up after 3 resubmissions',
    });
    expect([1, 2, 3, 20].map((attempt) => backoffAfter(attempt, policy))).toEqual([
      30_000, 60_000, 120_000, 3_600_000,
    ]);
  });

  it('upgrades a running job whose desired SQL changed, unless a savepoint is in flight', () => {
    const changed = record({ sqlHash: 'h2' });

    expect(decideReconcile(observed({ record: changed }), policy)).toEqual({
      action: 'upgrade',
      reason: 'SQL changed',
    });
    expect(decideReconcile(observed({ record: changed, savepointInFlight: true }), policy).action).toBe(
      'wait',
    );
  });

  it('marks a resubmitted job healthy once it runs again, and ignores jobs stopped on purpose', () => {
    expect(decideReconcile(observed({ record: record({ resubmitAttempts: 2 }) }), policy).action).toBe(
      'mark-healthy',
    );
    expect(
      decideReconcile(observed({ record: record({ desiredState: 'stopped' }), flinkJob: undefined }), policy),
    ).toEqual({ action: 'none', reason: 'stopped on purpose' });
  });

  it('does not change the record it decides on', () => {
    const input = observed({ flinkJob: undefined });
    const before = structuredClone(input);

    decideReconcile(input, policy);

    expect(input).toEqual(before);
  });
});

describe('decideSavepoint', () => {
  it('triggers only for a running desired job without a savepoint in flight', () => {
    expect(
      decideSavepoint({ record: record(), flinkJob: flinkJob('RUNNING'), savepointInFlight: false }),
    ).toEqual({
      action: 'trigger',
    });
    expect(
      decideSavepoint({ record: record(), flinkJob: flinkJob('RUNNING'), savepointInFlight: true }),
    ).toEqual({
      action: 'skip',
      reason: 'a savepoint is in flight',
    });
    expect(
      decideSavepoint({ record: record(), flinkJob: flinkJob('RESTARTING'), savepointInFlight: false }),
    ).toEqual({
      action: 'skip',
      reason: 'job is RESTARTING',
    });
    expect(
      decideSavepoint({
        record: record(),
        flinkJob: { ...flinkJob('RUNNING'), allTasksRunning: false },
        savepointInFlight: false,
      }),
    ).toEqual({ action: 'skip', reason: 'tasks are still being deployed' });
    expect(decideSavepoint({ record: record(), flinkJob: undefined, savepointInFlight: false })).toEqual({
      action: 'skip',
      reason: 'job is not running',
    });
  });
});

describe('decideRetention', () => {
  function savepoint(
    id: string,
    hoursAgo: number,
    status: SavepointRecord['status'] = 'COMPLETED',
  ): SavepointRecord {
    const at = new Date(now - hoursAgo * 3_600_000).toISOString();
    return {
      jobName: 'orders',
      savepointId: id,
      jobId: 'j1',
      status,
      trigger: 'periodic',
      directory: 'file:///sp/orders',
      location: status === 'COMPLETED' ? `file:///sp/orders/savepoint-${id}` : undefined,
      triggeredAt: at,
      completedAt: status === 'COMPLETED' ? at : undefined,
      failureCause: status === 'FAILED' ? 'boom' : undefined,
    };
  }

  it('expires completed savepoints beyond the count, oldest first', () => {
    const history = [savepoint('a', 4), savepoint('b', 1), savepoint('c', 3), savepoint('d', 2)];

    const expired = decideRetention(history, { maxCount: 2, maxAgeMs: 86_400_000 }, now);

    expect(expired.map((entry) => entry.savepointId)).toEqual(['c', 'a']);
  });

  it('expires savepoints older than the max age but always keeps the newest completed one', () => {
    const history = [
      savepoint('old', 50),
      savepoint('older', 60),
      savepoint('failed', 30, 'FAILED'),
      savepoint('now', 0.1, 'IN_PROGRESS'),
    ];

    const expired = decideRetention(history, { maxCount: 10, maxAgeMs: 24 * 3_600_000 }, now);

    expect(expired.map((entry) => entry.savepointId)).toEqual(['older', 'failed']);
  });
});

describe('planRescale', () => {
  const bounds = { min: 2, max: 4 };
  function observation(overrides: Partial<RescaleObservation> = {}): RescaleObservation {
    return {
      record: record(),
      flinkJob: flinkJob('RUNNING'),
      savepointInFlight: false,
      targetParallelism: 4,
      taskManagers: 2,
      slotsPerTaskManager: 4,
      slotsUsedByOthers: 0,
      bounds,
      ...overrides,
    };
  }

  it('keeps the TaskManagers when the new parallelism fits in their slots', () => {
    expect(planRescale(observation({ targetParallelism: 8 }))).toMatchObject({
      action: 'rescale',
      fromParallelism: 2,
      toParallelism: 8,
      taskManagers: { from: 2, to: 2 },
    });
  });

  it('adds the TaskManagers the new parallelism and the other jobs need', () => {
    // 3 slots of other jobs + 6 = 9 slots: three TaskManagers of 4.
    expect(planRescale(observation({ targetParallelism: 6, slotsUsedByOthers: 3 }))).toMatchObject({
      action: 'rescale',
      taskManagers: { from: 2, to: 3 },
    });
  });

  it('removes extra TaskManagers when the job alone needs fewer, never below the configured count', () => {
    const alone = observation({ flinkJob: { ...flinkJob('RUNNING'), parallelism: 9 }, taskManagers: 3 });

    expect(planRescale({ ...alone, targetParallelism: 2 })).toMatchObject({
      fromParallelism: 9,
      taskManagers: { from: 3, to: 2 },
    });
    expect(planRescale({ ...alone, targetParallelism: 5 })).toMatchObject({
      taskManagers: { from: 3, to: 2 },
    });
  });

  it('keeps TaskManagers that another job may be running on', () => {
    const shared = observation({
      flinkJob: { ...flinkJob('RUNNING'), parallelism: 9 },
      taskManagers: 3,
      slotsUsedByOthers: 1,
    });

    expect(planRescale({ ...shared, targetParallelism: 2 })).toMatchObject({
      taskManagers: { from: 3, to: 3 },
    });
  });

  it('refuses a parallelism that needs more TaskManagers than allowed, saying how many', () => {
    const plan = planRescale(observation({ targetParallelism: 17 }));

    expect(plan.action).toBe('refuse');
    expect(plan.reason).toMatch(/needs 5 TaskManagers .* at most 4/);
  });

  it('refuses while a savepoint is in flight, and for a job that is not fully running or stopped on purpose', () => {
    expect(planRescale(observation({ savepointInFlight: true }))).toMatchObject({
      action: 'refuse',
      reason: expect.stringMatching(/savepoint is in flight/),
    });
    expect(planRescale(observation({ flinkJob: flinkJob('RESTARTING') })).action).toBe('refuse');
    expect(
      planRescale(observation({ flinkJob: { ...flinkJob('RUNNING'), allTasksRunning: false } })).reason,
    ).toMatch(/still deploying tasks/);
    expect(planRescale(observation({ flinkJob: undefined })).reason).toMatch(/not running/);
    expect(planRescale(observation({ record: record({ desiredState: 'stopped' }) })).action).toBe('refuse');
  });

  it('does nothing when the job already runs with the parallelism', () => {
    expect(planRescale(observation({ targetParallelism: 2 }))).toMatchObject({ action: 'none' });
  });

  it('counts TaskManagers by slots, rounding up', () => {
    expect([1, 4, 5, 8, 9].map((slots) => taskManagersFor(slots, 4))).toEqual([1, 1, 2, 2, 3]);
  });
});

describe('isJobManagerReady', () => {
  const overview = {
    flinkVersion: '2.2.1',
    taskManagers: 2,
    slotsTotal: 8,
    slotsAvailable: 8,
    jobsRunning: 0,
    jobsFailed: 0,
  };

  it('needs an answer with registered TaskManager slots', () => {
    expect(isJobManagerReady(overview)).toBe(true);
    expect(isJobManagerReady(undefined)).toBe(false);
    expect(isJobManagerReady({ ...overview, taskManagers: 0, slotsTotal: 0, slotsAvailable: 0 })).toBe(false);
  });
});

describe('decideLiveJob (stop and savepoint from the CLI)', () => {
  it("acts on the record's job, else on a live job of that name submitted by hand", () => {
    const byName = { ...flinkJob('RUNNING', 'j9'), name: 'orders' };

    expect(decideLiveJob('orders', record(), [flinkJob('RUNNING')])).toEqual({
      action: 'act',
      job: flinkJob('RUNNING'),
    });
    expect(decideLiveJob('orders', undefined, [flinkJob('CANCELED', 'j0'), byName])).toEqual({
      action: 'act',
      job: byName,
    });
  });

  it('refuses when Flink runs no job of that name, naming the last job id of a managed one', () => {
    expect(decideLiveJob('orders', record(), [flinkJob('FINISHED')])).toEqual({
      action: 'refuse',
      reason: 'no running Flink job named orders (last job id j1)',
      refusal: { code: 'job-not-found', jobName: 'orders' },
    });
    expect(decideLiveJob('orders', undefined, [])).toEqual({
      action: 'refuse',
      reason: 'no running Flink job named orders',
      refusal: { code: 'job-not-found', jobName: 'orders' },
    });
  });
});

describe('decideRestoreJob', () => {
  const from = 's3://checkpoints/savepoints/orders/savepoint-1';

  it('wants a stopped managed job running again, adding (never removing) allowNonRestoredState', () => {
    const stopped = record({ desiredState: 'stopped' });

    expect(
      decideRestoreJob({
        jobName: 'orders',
        record: stopped,
        flinkJobs: [flinkJob('FINISHED')],
        from,
        allowNonRestoredState: true,
      }),
    ).toEqual({
      action: 'restore',
      desired: { ...stopped, desiredState: 'running', allowNonRestoredState: true },
    });
    expect(
      decideRestoreJob({
        jobName: 'orders',
        record: record({ desiredState: 'stopped', allowNonRestoredState: true }),
        flinkJobs: [],
        from,
        allowNonRestoredState: false,
      }),
    ).toMatchObject({ action: 'restore', desired: { allowNonRestoredState: true } });
  });

  it('refuses a job it does not manage, and a job that still runs', () => {
    expect(
      decideRestoreJob({
        jobName: 'orders',
        record: undefined,
        flinkJobs: [],
        from,
        allowNonRestoredState: false,
      }),
    ).toEqual({
      action: 'refuse',
      reason: 'orders is not managed by the control plane, so its SQL is unknown here',
      refusal: { code: 'job-unmanaged', jobName: 'orders', restoreFrom: from },
    });
    expect(
      decideRestoreJob({
        jobName: 'orders',
        record: record(),
        flinkJobs: [flinkJob('RESTARTING')],
        from,
        allowNonRestoredState: false,
      }),
    ).toEqual({
      action: 'refuse',
      reason: 'orders is running (j1)',
      refusal: { code: 'job-running', jobName: 'orders' },
    });
  });
});

describe('unmanagedJobNames', () => {
  it('names the jobs a command named that have no record', () => {
    expect(
      unmanagedJobNames(['orders', 'typo', 'payments'], [record(), record({ jobName: 'payments' })]),
    ).toEqual(['typo']);
    expect(unmanagedJobNames([], [])).toEqual([]);
  });
});
