import type { IncomingRecord, KafkaClient } from '@apphub/kafka-client';
import { type DatasetDescriptor, type Lake, queryDataset } from '@apphub/microbatcher';
import { type ComparableAggregate, comparable, parseAggregate } from '@apphub/smoke';
import type { WatermarkStore } from '@apphub/watermarks';
import { SoakOutputUnreadableError } from './errors.js';

/** Every record of `topic` after `from` up to its end now (what `from` lacks, from offset 0). */
export async function readToEnd(
  kafka: KafkaClient,
  topic: string,
  from: ReadonlyMap<number, string>,
  timeoutMs = 120_000,
): Promise<IncomingRecord[]> {
  const ends = await kafka.endOffsets(topic);
  const start = new Map([...ends.keys()].map((partition) => [partition, from.get(partition) ?? '0']));
  const pending = new Set(
    [...ends].filter(([partition, end]) => BigInt(end) > BigInt(start.get(partition)!)).map(([p]) => p),
  );
  const records: IncomingRecord[] = [];
  if (pending.size === 0) return records;
  const complete = await kafka.readUntil(
    topic,
    start,
    (record) => {
      records.push(record);
      if (BigInt(record.offset) + 1n >= BigInt(ends.get(record.partition) ?? '0'))
        pending.delete(record.partition);
      return pending.size === 0;
    },
    Date.now() + timeoutMs,
  );
  if (!complete)
    throw new SoakOutputUnreadableError(`could not read ${topic} to its end in ${timeoutMs / 1000} s`);
  return records.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

/** The run's aggregates among a sink topic's records, in topic order per partition. */
export function sinkAggregates(
  records: readonly IncomingRecord[],
  isRunUser: (user: string) => boolean,
): ComparableAggregate[] {
  return records.flatMap((record) => {
    const row = parseAggregate(record.value);
    return row !== undefined && isRunUser(row.user_id) ? [comparable(row)] : [];
  });
}

/** The event ids dead letters carry, from their raw payloads. */
export function deadLetterIds(records: readonly IncomingRecord[]): string[] {
  return records.flatMap((record) => {
    const id = /\\?"event_id\\?"\s*:\s*\\?"([^"\\]+)/.exec(record.value ?? '')?.[1];
    return id === undefined ? [] : [id];
  });
}

/** The run's rows in the lake over `range`, and whether every one of them is sealed. */
export async function lakeAggregates(
  storage: { readonly lake: Lake; readonly store: WatermarkStore },
  descriptor: DatasetDescriptor,
  range: { readonly from: number; readonly to: number },
  isRunUser: (user: string) => boolean,
): Promise<{ rows: ComparableAggregate[]; allSealed: boolean }> {
  const result = await queryDataset(storage, descriptor, range);
  const rows = result.rows.filter((row) => isRunUser(String(row.values.user_id)));
  return {
    rows: rows.map((row) => comparable(row.values)),
    allSealed: rows.every((row) => row.status === 'sealed'),
  };
}
