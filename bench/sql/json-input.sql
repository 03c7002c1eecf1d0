-- Benchmark peer of the sample job (npm run bench): the input table that replaces the sample job's
-- own in infra/sql/tumbling-window.sql; every other statement of the job runs as it is. Flink's 'json'
-- format reads the fields; the columns the sample job's dead-letter branch reads are constants, so that
-- branch's filter is always false and the planner drops it. A record that does not fit fails this job:
-- Flink's json format has no dead letters. Same variables as the sample job.
CREATE TEMPORARY TABLE apphub_streaming_input (
  event_id STRING,
  user_id STRING,
  occurred_at TIMESTAMP_LTZ(3),
  `value` DECIMAL(38, 9),
  payload AS CAST(NULL AS STRING),
  reject_reason AS CAST(NULL AS STRING),
  source_partition AS CAST(NULL AS INT),
  source_offset AS CAST(NULL AS BIGINT),
  WATERMARK FOR occurred_at AS occurred_at - INTERVAL '${WATERMARK_DELAY_SECONDS}' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${INPUT_TOPIC}',
  'properties.bootstrap.servers' = '${BROKERS}',
  ${KAFKA_CLIENT_OPTIONS}
  'properties.group.id' = '${GROUP_ID}',
  'scan.startup.mode' = '${STARTUP_MODE}',
  'scan.watermark.idle-timeout' = '${SOURCE_IDLE_TIMEOUT_SECONDS} s',
  'format' = 'json',
  'json.timestamp-format.standard' = 'ISO-8601'
);
