import { describe, expect, it } from 'vitest';
import { parquetPeerStatements, storageWindowValue } from '../../../bench/peer.js';

describe("the micro-batcher's Flink Parquet peer", () => {
  const options = {
    topic: 'aggregates',
    groupId: 'peer-1',
    kafka: { bootstrapServers: '127.0.0.1:9093', security: { protocol: 'PLAINTEXT' as const } },
    path: 's3://lake/bench-parquet-peer/run',
    windowMs: 600_000,
    latenessMs: 120_000,
  };

  it('reads the topic, and stops at the offsets of its start only when bounded', () => {
    const [source] = parquetPeerStatements({ ...options, bounded: true });
    expect(source).toContain("'topic' = 'aggregates'");
    expect(source).toContain("'properties.group.id' = 'peer-1'");
    expect(source).toContain("'scan.bounded.mode' = 'latest-offset'");
    const [live] = parquetPeerStatements({ ...options, bounded: false });
    expect(live).not.toContain('scan.bounded.mode');
  });

  it("commits a window's partition when the watermark, less the lateness, passes its end", () => {
    const [source, sink, insert] = parquetPeerStatements({ ...options, bounded: false });
    expect(source).toContain('WATERMARK FOR window_start AS TIMESTAMPADD(SECOND, -120, window_start)');
    expect(sink).toContain("'path' = 's3://lake/bench-parquet-peer/run'");
    expect(sink).toContain("'sink.partition-commit.delay' = '600 s'");
    expect(sink).toContain("'sink.partition-commit.trigger' = 'partition-time'");
    expect(insert).toContain('/ 600 * 600');
  });

  it('names partitions as the poller looks for them', () => {
    const [, sink, insert] = parquetPeerStatements({ ...options, bounded: false });
    expect(sink).toContain("'partition.time-extractor.timestamp-formatter' = 'yyyy-MM-dd_HH-mm-ss'");
    expect(insert).toContain("'yyyy-MM-dd_HH-mm-ss')");
    expect(storageWindowValue(Date.UTC(2026, 10, 29, 7, 5, 30))).toBe('2026-11-29_07-05-30');
  });

  it('refuses windows the SQL cannot express in whole seconds', () => {
    expect(() => parquetPeerStatements({ ...options, windowMs: 1500, bounded: true })).toThrow(
      /whole seconds; its window is 1500 ms/,
    );
  });
});
