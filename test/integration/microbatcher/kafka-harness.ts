import { queryDataset } from '@apphub/microbatcher';
import { afterAll } from 'vitest';
import type { BatcherRunner } from '../../../local/src/batcher/index.js';
import type { aggregate } from '../../storage/microbatcher/harness.js';
import { eventually, kafka } from '../helpers.js';

/** Offsets a consumer group committed on `topic`, per partition ("-1": none). */
export async function committedOffsets(groupId: string, topic: string): Promise<Record<number, string>> {
  const [ends, committed] = await Promise.all([
    kafka.endOffsets(topic),
    kafka.committedOffsets(groupId, topic),
  ]);
  return Object.fromEntries(
    [...ends.keys()].map((partition) => [partition, committed.get(partition) ?? '-1']),
  );
}

/** Produces aggregate records (see aggregate) to their partitions of `topic`, acknowledged by all replicas. */
export async function produceAggregates(
  topic: string,
  records: ReturnType<typeof aggregate>[],
): Promise<void> {
  await kafka.produce(
    topic,
    records.map((record) => ({ partition: record.partition, key: record.key, value: record.value })),
  );
}

/** A list for the runners a test file starts; each is stopped when the file's tests end. */
export function runnersStoppedAfterAll(): BatcherRunner[] {
  const runners: BatcherRunner[] = [];
  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
  });
  return runners;
}

/** Waits until `groupId` has committed `count` records of `topic` in all, and returns the offsets. */
export function everyOffsetCommitted(
  groupId: string,
  topic: string,
  count: number,
  timeoutMs = 120_000,
): Promise<Record<number, string>> {
  return eventually(
    'all offsets committed',
    async () => {
      const offsets = await committedOffsets(groupId, topic);
      return Object.values(offsets).reduce((sum, offset) => sum + Number(offset), 0) === count
        ? offsets
        : undefined;
    },
    timeoutMs,
    500,
  );
}

/**
 * Runs sealing passes until every row of `descriptor` in `range` is sealed, and returns the rows: a
 * window seals once the topic has been quiet for the descriptor's idle timeout (wall-clock time, as in
 * Lambda), so the test waits on that outcome instead of sleeping for the timeout.
 */
export function everyWindowSealed(
  runner: BatcherRunner,
  ...[storage, descriptor, range]: Parameters<typeof queryDataset>
): Promise<Awaited<ReturnType<typeof queryDataset>>['rows']> {
  return eventually(
    'every window sealed by a sealing pass',
    async () => {
      await runner.runSealingPass();
      const { rows } = await queryDataset(storage, descriptor, range);
      return rows.length > 0 && rows.every((row) => row.status === 'sealed') ? rows : undefined;
    },
    60_000,
    500,
  );
}
