import { randomUUID } from 'node:crypto';
import type { AutoscaleDecisionStore } from '@apphub/control-plane';
import { beforeEach, describe, expect, it } from 'vitest';
import { recordOf } from './autoscale-fixtures.js';

/** A job name no other test (or run) uses, so the contract can run on a shared table. */
const uniqueJob = () => `contract-${randomUUID().slice(0, 8)}`;

const start = Date.parse('2026-12-01T10:00:00.000Z');
const load = { source: { busy: 0.3, recordsIn: 900 }, window: { busy: 0.6, recordsIn: 900, recordsOut: 90 } };

/**
 * The behaviour every AutoscaleDecisionStore must have, whatever holds it: decisions read back as
 * written (nested inputs included, absent numbers absent), newest first, limited to a job and a time;
 * recording the same decision twice keeps one. Runs against DynamoDB (the storage tests) and the
 * in-memory fake the unit tests use, so the fake cannot drift from the real store unnoticed.
 */
export function describeAutoscaleDecisionStoreContract(
  name: string,
  storeOf: () => AutoscaleDecisionStore,
): void {
  describe(name, () => {
    let store: AutoscaleDecisionStore;
    beforeEach(() => {
      store = storeOf();
    });

    it('reads a job’s decisions back as written, newest first, from a given time on', async () => {
      // Prepare: five passes a minute apart, written out of order, and another job's decision.
      const jobName = uniqueJob();
      const records = [0, 1, 2, 3, 4].map((minute) =>
        recordOf(
          { now: start + minute * 60_000, parallelism: 2, pendingRecords: minute * 10, ...load },
          jobName,
        ),
      );
      for (const index of [3, 0, 4, 1, 2]) await store.put(records[index]!);
      await store.put(recordOf({ now: start, parallelism: 4, ...load }, uniqueJob()));

      // Act
      const since = await store.since(jobName, start + 2 * 60_000);
      const latest = await store.latest(jobName, 2);
      const all = await store.latest(jobName, 10);

      // Assess
      expect(since.map((record) => record.decidedAt)).toEqual(
        [records[4], records[3], records[2]].map((r) => r!.decidedAt),
      );
      expect(latest).toEqual([records[4], records[3]].map((record) => JSON.parse(JSON.stringify(record))));
      expect(all).toHaveLength(5);
      expect(all[4]).toEqual(JSON.parse(JSON.stringify(records[0])));
    });

    it('keeps one item when the same decision is recorded twice, the second as written', async () => {
      // Prepare
      const jobName = uniqueJob();
      const first = recordOf({ now: start, parallelism: 2, ...load }, jobName);
      const again = { ...first, reasons: [{ code: 'stabilizing' as const, detail: 'recorded again' }] };

      // Act
      await store.put(first);
      await store.put(again);

      // Assess
      expect(await store.since(jobName, start)).toEqual([JSON.parse(JSON.stringify(again))]);
    });

    it('leaves a number that was not measured out, instead of storing NaN or infinity', async () => {
      // Prepare: an idle job (nothing read: no measurable rate) whose busy time is not reported.
      const jobName = uniqueJob();
      const idle = recordOf(
        {
          now: start,
          parallelism: 2,
          source: { busy: Number.NaN, recordsIn: 0 },
          window: { busy: 0, recordsIn: 0 },
        },
        jobName,
      );

      // Act
      await store.put(idle);
      const [read] = await store.since(jobName, start);

      // Assess
      expect(read!.reasons.map((reason) => reason.code)).toEqual(['metrics-missing']);
      expect(Object.keys(read!.inputs.vertices[0]!)).not.toContain('busyRatio');
      expect(Object.keys(read!.inputs.vertices[1]!)).not.toContain('trueRatePerSubtask');
      expect(read!.inputs.vertices[1]!.requiredParallelism).toBe(1);
    });

    it('returns nothing for a job without decisions or before any decision', async () => {
      const jobName = uniqueJob();
      await store.put(recordOf({ now: start, parallelism: 2, ...load }, jobName));

      expect(await store.since(uniqueJob(), 0)).toEqual([]);
      expect(await store.since(jobName, start + 1)).toEqual([]);
      expect(await store.latest(uniqueJob(), 5)).toEqual([]);
    });
  });
}
