-- AppHub sample job: events on ${INPUT_TOPIC} -> 1-minute tumbling event-time aggregation per user_id
-- -> upsert-kafka sink on ${OUTPUT_TOPIC}. One template for every environment (native, compose,
-- minikube, ECS); `npm run submit:sample` renders it and a missing variable fails before submission.
--
-- Variables: JOB_NAME, BROKERS, INPUT_TOPIC, OUTPUT_TOPIC, GROUP_ID, STARTUP_MODE,
--            WATERMARK_DELAY_SECONDS, SOURCE_IDLE_TIMEOUT_SECONDS
--
-- Exactness: `value` and `total_value` are DECIMAL(38, 9), so a window's sum does not depend on the
-- order Flink adds its events in (DOUBLE sums do). Timestamps leave as ISO-8601 UTC strings with
-- milliseconds and a trailing Z.

SET 'pipeline.name' = '${JOB_NAME}';
SET 'table.local-time-zone' = 'UTC';

CREATE TEMPORARY TABLE apphub_streaming_input (
  event_id STRING,
  user_id STRING,
  event_type STRING,
  `value` DECIMAL(38, 9),
  occurred_at TIMESTAMP_LTZ(3),
  -- Bounded out-of-orderness: events up to WATERMARK_DELAY_SECONDS late still land in their window.
  WATERMARK FOR occurred_at AS occurred_at - INTERVAL '${WATERMARK_DELAY_SECONDS}' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${INPUT_TOPIC}',
  'properties.bootstrap.servers' = '${BROKERS}',
  'properties.group.id' = '${GROUP_ID}',
  'scan.startup.mode' = '${STARTUP_MODE}',
  -- A partition without events for this long stops holding the watermark back.
  'scan.watermark.idle-timeout' = '${SOURCE_IDLE_TIMEOUT_SECONDS} s',
  'format' = 'json',
  'json.timestamp-format.standard' = 'ISO-8601',
  'json.fail-on-missing-field' = 'false',
  'json.ignore-parse-errors' = 'true'
);

CREATE TEMPORARY TABLE apphub_streaming_aggregates (
  user_id STRING,
  window_start STRING,
  window_end STRING,
  event_count BIGINT,
  total_value DECIMAL(38, 9),
  PRIMARY KEY (user_id, window_start) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = '${OUTPUT_TOPIC}',
  'properties.bootstrap.servers' = '${BROKERS}',
  'key.format' = 'json',
  'value.format' = 'json',
  'value.json.encode.decimal-as-plain-number' = 'true',
  'value.fields-include' = 'ALL'
);

-- Events without a user or an event time cannot be windowed (a null row time fails the window operator).
CREATE TEMPORARY VIEW apphub_streaming_valid_input AS
SELECT * FROM apphub_streaming_input WHERE user_id IS NOT NULL AND occurred_at IS NOT NULL;

INSERT INTO apphub_streaming_aggregates
SELECT
  user_id,
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  COUNT(*),
  SUM(`value`)
FROM TABLE(TUMBLE(TABLE apphub_streaming_valid_input, DESCRIPTOR(occurred_at), INTERVAL '1' MINUTE))
GROUP BY user_id, window_start, window_end;
