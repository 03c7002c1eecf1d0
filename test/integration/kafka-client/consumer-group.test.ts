import type { GroupConsumer, RecordBatch } from '@apphub/kafka-client';
import { afterAll, describe, expect, it } from 'vitest';
import { componentProcess } from '../../../local/src/stack/index.js';
import { createTopic, eventually, kafka, restartedBySupervisor, tlsKafka, uniqueName } from '../helpers.js';
import { everyOffsetCommitted } from '../microbatcher/kafka-harness.js';

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const sum = (offsets: Iterable<string>) => [...offsets].reduce((total, offset) => total + Number(offset), 0);

/** How many records `groupId` has committed on `topic`, over all partitions. */
const committedInAll = async (groupId: string, topic: string) =>
  sum((await kafka.committedOffsets(groupId, topic)).values());

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

    // Act: one member, then a second joins once some offsets are committed.
    running.push(await member('first'));
    await eventually(
      'a first commit',
      async () => ((await committedInAll(groupId, topic)) >= 15 ? true : undefined),
      60_000,
      100,
    );
    running.push(await member('second'));
    await eventually(
      'every offset committed',
      async () => ((await committedInAll(groupId, topic)) === total ? true : undefined),
      120_000,
      250,
    );

    // Assess: the new member got partitions after the rebalance; together they processed every record.
    expect(seen.second.size).toBeGreaterThan(0);
    const processed = new Set([...seen.first, ...seen.second]);
    expect(processed.size).toBe(total);
    expect(await kafka.groupMembers(groupId)).toBe(2);
  });

  it('starts a new group at the end once: a restart before its first commit resumes there', async () => {
    // Prepare: records from before the group exists, which it must not read.
    const topic = uniqueName('it-group-latest');
    const groupId = uniqueName('it-group');
    await createTopic(topic, 2);
    const records = (name: string, count: number, partitions = 2) =>
      Array.from({ length: count }, (_, index) => ({
        key: `${name}${index}`,
        value: `${name}${index}`,
        partition: index % partitions,
      }));
    await kafka.produce(topic, records('before', 10));
    const seen: string[] = [];
    const member = () =>
      kafka.consumeGroup(
        {
          groupId,
          topics: [topic],
          fromBeginning: false,
          maxBatchRecords: 100,
          batchWindowMs: 0,
          concurrentPartitions: 3,
        },
        async (batch: RecordBatch) => {
          for (const record of batch.records) seen.push(record.value!.toString('utf8'));
          await batch.commit();
        },
      );

    // Act: a member joins and stops before any record came (nothing to commit), records arrive while
    // the group has no member, then a member joins again; then, with no member, the topic gains a
    // partition with a record on it, and a member joins once more.
    const first = await member();
    await first.stop();
    await kafka.produce(topic, records('meanwhile', 20));
    const second = await member();
    await everyOffsetCommitted(groupId, topic, 30);
    await second.stop();
    await kafka.addPartitions(topic, 3);
    await kafka.produce(topic, [{ key: 'added', value: 'added', partition: 2 }]);
    running.push(await member());
    await everyOffsetCommitted(groupId, topic, 31);

    // Assess: what arrived while no member ran, and the new partition's record, each read; nothing older.
    expect((await kafka.endOffsets(topic)).get(2)).toBe('1');
    expect(seen.filter((value) => value.startsWith('before'))).toEqual([]);
    expect(new Set(seen)).toEqual(new Set([...records('meanwhile', 20).map((r) => r.value), 'added']));
  });

  it('keeps consuming from its committed offsets after the broker is killed and after it hangs', async () => {
    // Prepare: a member on the TLS listener, as the event-source runner joins, and a steady producer.
    const topic = uniqueName('it-group-broker-loss');
    const groupId = uniqueName('it-group');
    await createTopic(topic, 3);
    let produced = 0;
    let producing = true;
    const producer = (async () => {
      while (producing) {
        const records = Array.from({ length: 30 }, (_, index) => ({
          key: `k${(produced + index) % 17}`,
          value: `v${produced + index}`,
        }));
        // While the broker is away a send fails; the next one sends other records.
        await kafka.produce(topic, records).then(
          () => {
            produced += records.length;
          },
          () => pause(200),
        );
        await pause(100);
      }
    })();
    const processed = new Set<string>();
    running.push(
      await tlsKafka.consumeGroup(
        {
          groupId,
          topics: [topic],
          fromBeginning: true,
          maxBatchRecords: 50,
          batchWindowMs: 200,
          concurrentPartitions: 3,
        },
        async (batch: RecordBatch) => {
          await batch.commit();
          for (const record of batch.records) processed.add(`${batch.partition}@${record.offset}`);
        },
      ),
    );
    /** Waits until the group has committed `more` records past what it had committed when called. */
    const commitsGrowBy = async (what: string, more: number) => {
      const before = await eventually(
        'the committed offsets',
        async () => committedInAll(groupId, topic),
        120_000,
        500,
      );
      await eventually(
        what,
        async () => ((await committedInAll(groupId, topic)) >= before + more ? true : undefined),
        180_000,
        500,
      );
    };
    await commitsGrowBy('first commits', 150);

    // Act: kill -9 the broker (supervisord starts it again), then freeze it past the request timeouts.
    const killed = (await componentProcess('kafka'))!;
    process.kill(killed.pid, 'SIGKILL');
    const restarted = await restartedBySupervisor('kafka', killed.pid);
    await commitsGrowBy('commits after the broker restarted', 150);
    process.kill(restarted.pid, 'SIGSTOP');
    await pause(15_000);
    process.kill(restarted.pid, 'SIGCONT');
    await commitsGrowBy('commits after the broker hung', 150);
    producing = false;
    await producer;

    // Assess: the group caught up with the topic's end (a send that failed may still have landed), each
    // offset handled at least once.
    const end = sum((await kafka.endOffsets(topic)).values());
    expect(end).toBeGreaterThanOrEqual(produced);
    await everyOffsetCommitted(groupId, topic, end);
    expect(processed.size).toBe(end);
  });
});
