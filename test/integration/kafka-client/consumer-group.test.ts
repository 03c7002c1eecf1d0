import type { GroupConsumer, RecordBatch } from '@apphub/kafka-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createTopic, eventually, kafka, uniqueName } from '../helpers.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a consumer group of the Kafka adapter on the real broker', () => {
  const running: GroupConsumer[] = [];
  afterAll(() => Promise.all(running.map((group) => group.stop())));

  it('hands a rebalanced partition to the new member from the committed offsets, losing nothing', async () => {
    // Prepare: 3 partitions of 400 records each.
    const topic = uniqueName('it-group-rebalance');
    const groupId = uniqueName('it-group');
    await createTopic(topic, 3);
    const total = 1_200;
    await kafka.produce(
      topic,
      Array.from({ length: total }, (_, index) => ({
        key: `k${index}`,
        value: `v${index}`,
        partition: index % 3,
      })),
    );
    const seen = { first: new Set<string>(), second: new Set<string>() };
    // Slow handlers (5 records per batch, 150 ms each: 12 s per partition), so the second member joins
    // mid-way: a rebalance takes a few heartbeats.
    const member = (name: keyof typeof seen) =>
      kafka.consumeGroup(
        {
          groupId,
          topics: [topic],
          fromBeginning: true,
          maxBatchRecords: 5,
          batchWindowMs: 0,
          concurrentPartitions: 3,
        },
        async (batch: RecordBatch) => {
          await pause(150);
          for (const record of batch.records) seen[name].add(`${batch.partition}@${record.offset}`);
          await batch.commit();
        },
      );
    const committedInAll = async () =>
      [...(await kafka.committedOffsets(groupId, topic)).values()].reduce(
        (sum, offset) => sum + Number(offset),
        0,
      );

    // Act: one member, then a second joins once some offsets are committed.
    running.push(await member('first'));
    await eventually(
      'a first commit',
      async () => ((await committedInAll()) >= 15 ? true : undefined),
      60_000,
      100,
    );
    running.push(await member('second'));
    await eventually(
      'every offset committed',
      async () => ((await committedInAll()) === total ? true : undefined),
      120_000,
      250,
    );

    // Assess: the new member got partitions after the rebalance; together they processed every record.
    expect(seen.second.size).toBeGreaterThan(0);
    const processed = new Set([...seen.first, ...seen.second]);
    expect(processed.size).toBe(total);
    expect(await kafka.groupMembers(groupId)).toBe(2);
  });
});
