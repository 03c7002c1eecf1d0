import {
  type BatcherConfig,
  createBatcherStorage,
  handleBatcherEvent,
  OUTAGE_RESERVE_SECONDS,
  PartCache,
  RecordedSchemas,
  rideOutStorageOutage,
} from '@apphub/microbatcher';
import {
  createLogger,
  createMetrics,
  FunctionFolder,
  type LoggerOptions,
  observability,
} from '@apphub/observability';
import { describeError } from '@apphub/platform';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/**
 * The micro-batcher's Lambda handler for `config`: Kafka events (MSK or self-managed) and scheduled
 * sealing passes. Clients and the part cache are created here, once per handler (at cold start in
 * Lambda); each call builds an independent handler, so one process can run several configurations.
 * `options.logger` redirects its log lines (local tools and tests; Lambda writes them to stdout).
 */
export function createHandler(config: BatcherConfig, options: { readonly logger?: LoggerOptions } = {}) {
  const { lake, store } = createBatcherStorage(config);
  const logger = createLogger(FunctionFolder.microBatcher, options.logger);
  const metrics = createMetrics(FunctionFolder.microBatcher, logger);
  const partCache = new PartCache();
  const schemas = new RecordedSchemas();
  return middy()
    .use(observability({ logger, metrics }))
    .handler((event: unknown, context: Context) =>
      // An S3 or DynamoDB outage is waited out inside the invocation, so the mapping's retries and
      // its on-failure destination see only outages longer than (1 + retries) invocations.
      rideOutStorageOutage(
        () =>
          handleBatcherEvent(
            { descriptors: config.descriptors, lake, store, partCache, schemas, logger, metrics },
            event,
          ),
        {
          remainingMs: () => context.getRemainingTimeInMillis(),
          reserveMs: OUTAGE_RESERVE_SECONDS * 1000,
          onOutage: ({ attempt, retryInMs, error }) =>
            logger.warn('storage outage; the batch is tried again in this invocation', {
              attempt,
              retryInMs,
              error: describeError(error),
            }),
        },
      ),
    );
}
