-- AppHub sample job: events on ${INPUT_TOPIC} -> 1-minute tumbling event-time aggregation per user_id
-- -> upsert-kafka sink on ${OUTPUT_TOPIC}. Records that cannot be aggregated (not JSON, a field
-- missing or of the wrong type) go to ${DEAD_LETTER_TOPIC} with their raw payload, the reason, and
-- their topic, partition and offset: nothing is dropped silently. One template for every environment
-- (native, compose, minikube, ECS); `npm run submit:sample` renders it, and a missing variable fails
-- before anything is submitted.
--
-- Variables: JOB_NAME, BROKERS, KAFKA_CLIENT_OPTIONS, INPUT_TOPIC, OUTPUT_TOPIC, DEAD_LETTER_TOPIC,
--            GROUP_ID, STARTUP_MODE, WATERMARK_DELAY_SECONDS, SOURCE_IDLE_TIMEOUT_SECONDS
-- KAFKA_CLIENT_OPTIONS is the environment's Kafka security as table options ('properties.security.protocol'
-- and what goes with it: TLS natively and on MSK, plaintext on compose and minikube), rendered from one
-- description (layers/platform/src/kafka-security.ts); it must stand on its own line before another option.
--
-- Exactness: `value` and `total_value` are DECIMAL(38, 9), so a window's sum does not depend on the
-- order Flink adds its events in (DOUBLE sums do). Timestamps leave as ISO-8601 UTC strings with
-- milliseconds and a trailing Z. Events later than the watermark's bound for a window that has
-- already closed are dropped by the window and counted in Flink's numLateRecordsDropped metric.

SET 'pipeline.name' = '${JOB_NAME}';
SET 'table.local-time-zone' = 'UTC';
-- One-phase aggregation: with the default local/global split, a source subtask whose partitions went
-- idle keeps its pre-aggregated slice of a window unsent (it flushes on its own watermark, which no
-- longer moves) while the global window closes on the other subtasks' watermark; that slice then
-- arrives late and is dropped. Measured: 8 of 168 aggregates missing in about half of the test runs.
SET 'table.optimizer.agg-phase-strategy' = 'ONE_PHASE';

-- Each record is parsed once, by the apphub-checked-json format (infra/flink-format): every column
-- below the reason is read from the JSON field of its name, as JSON_VALUE + TRY_CAST would read it.
-- A record that does not fit is kept, not skipped: its raw text is in `payload` and the first thing
-- wrong with it in `reject_reason`, checked in column order (no value, not a JSON object, then per
-- field: missing, or not convertible to the column's type), and it is routed to the dead letters.
CREATE TEMPORARY TABLE apphub_streaming_input (
  payload STRING,
  reject_reason STRING,
  event_id STRING,
  user_id STRING,
  occurred_at TIMESTAMP_LTZ(3),
  `value` DECIMAL(38, 9),
  source_partition INT METADATA FROM 'partition' VIRTUAL,
  source_offset BIGINT METADATA FROM 'offset' VIRTUAL,
  -- Bounded out-of-orderness: events up to WATERMARK_DELAY_SECONDS late still land in their window.
  WATERMARK FOR occurred_at AS occurred_at - INTERVAL '${WATERMARK_DELAY_SECONDS}' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${INPUT_TOPIC}',
  'properties.bootstrap.servers' = '${BROKERS}',
  ${KAFKA_CLIENT_OPTIONS}
  'properties.group.id' = '${GROUP_ID}',
  'scan.startup.mode' = '${STARTUP_MODE}',
  -- A partition without events for this long stops holding the watermark back.
  'scan.watermark.idle-timeout' = '${SOURCE_IDLE_TIMEOUT_SECONDS} s',
  'format' = 'apphub-checked-json',
  'apphub-checked-json.payload-column' = 'payload',
  'apphub-checked-json.reason-column' = 'reject_reason'
);

CREATE TEMPORARY VIEW apphub_streaming_valid_input AS
SELECT user_id, `value` AS event_value, occurred_at FROM apphub_streaming_input WHERE reject_reason IS NULL;

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
  ${KAFKA_CLIENT_OPTIONS}
  'key.format' = 'json',
  'value.format' = 'json',
  'value.json.encode.decimal-as-plain-number' = 'true',
  'value.fields-include' = 'ALL'
);

CREATE TEMPORARY TABLE apphub_streaming_dead_letters (
  reason STRING,
  payload STRING,
  source_topic STRING,
  source_partition INT,
  source_offset BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = '${DEAD_LETTER_TOPIC}',
  'properties.bootstrap.servers' = '${BROKERS}',
  ${KAFKA_CLIENT_OPTIONS}
  'format' = 'json'
);

-- One job for both outputs, so the dead letters share the aggregation's checkpoints.
EXECUTE STATEMENT SET
BEGIN
  INSERT INTO apphub_streaming_aggregates
  SELECT
    user_id,
    DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
    DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
    COUNT(*),
    SUM(event_value)
  FROM TABLE(TUMBLE(TABLE apphub_streaming_valid_input, DESCRIPTOR(occurred_at), INTERVAL '1' MINUTE))
  GROUP BY user_id, window_start, window_end;

  INSERT INTO apphub_streaming_dead_letters
  -- The job reads one topic, so its name is a constant here, not a metadata column read per record.
  SELECT reject_reason, payload, '${INPUT_TOPIC}', source_partition, source_offset
  FROM apphub_streaming_input
  WHERE reject_reason IS NOT NULL;
END;
