-- The micro-batcher's peer in npm run bench (row 5, bench/peer.ts): the same aggregates, read from
-- the same kind of topic, written by Flink's own filesystem sink as Parquet to S3, one partition per
-- storage window. A window's partition gets its _SUCCESS file when the watermark (newest event time
-- less the allowed lateness) passes the window's end, and only at a completed checkpoint: the
-- micro-batcher's rule for sealing a window, on Flink's clock. Unlike the micro-batcher, the sink
-- keeps every version of an upserted aggregate (no compaction) and writes no manifest.
CREATE TEMPORARY TABLE peer_aggregates (
  user_id STRING,
  window_start TIMESTAMP_LTZ(3),
  window_end TIMESTAMP_LTZ(3),
  event_count BIGINT,
  total_value DOUBLE,
  WATERMARK FOR window_start AS TIMESTAMPADD(SECOND, -${LATENESS_SECONDS}, window_start)
) WITH (
  'connector' = 'kafka',
  'topic' = '${TOPIC}',
  'properties.bootstrap.servers' = '${BROKERS}',
  ${KAFKA_CLIENT_OPTIONS}
  'properties.group.id' = '${GROUP_ID}',
  'scan.startup.mode' = 'earliest-offset',
  ${SCAN_OPTIONS}
  'format' = 'json',
  'json.timestamp-format.standard' = 'ISO-8601'
);

CREATE TEMPORARY TABLE peer_parquet (
  user_id STRING,
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  event_count BIGINT,
  total_value DOUBLE,
  storage_window STRING
) PARTITIONED BY (storage_window) WITH (
  'connector' = 'filesystem',
  'path' = '${PATH}',
  'format' = 'parquet',
  'parquet.compression' = 'SNAPPY',
  'parquet.write.int64.timestamp' = 'true',
  'parquet.timestamp.time.unit' = 'millis',
  'parquet.utc-timezone' = 'true',
  'sink.partition-commit.trigger' = 'partition-time',
  'partition.time-extractor.timestamp-pattern' = '$storage_window',
  'partition.time-extractor.timestamp-formatter' = 'yyyy-MM-dd_HH-mm-ss',
  'sink.partition-commit.delay' = '${WINDOW_SECONDS} s',
  'sink.partition-commit.watermark-time-zone' = 'UTC',
  'sink.partition-commit.policy.kind' = 'success-file'
);

-- The storage window of an aggregate: its window_start floored to the window size, in UTC.
INSERT INTO peer_parquet
SELECT
  user_id,
  CAST(window_start AS TIMESTAMP(3)),
  CAST(window_end AS TIMESTAMP(3)),
  event_count,
  total_value,
  DATE_FORMAT(
    TIMESTAMPADD(
      SECOND,
      TIMESTAMPDIFF(SECOND, TIMESTAMP '1970-01-01 00:00:00', CAST(window_start AS TIMESTAMP(3))) / ${WINDOW_SECONDS} * ${WINDOW_SECONDS},
      TIMESTAMP '1970-01-01 00:00:00'),
    'yyyy-MM-dd_HH-mm-ss')
FROM peer_aggregates;
