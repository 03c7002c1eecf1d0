import {
  type BatcherConfig,
  createBatcherStorage,
  handleBatcherEvent,
  PartCache,
  RecordedSchemas,
} from '@apphub/microbatcher';
import { createLogger, createMetrics, FunctionFolder, observability } from '@apphub/observability';
import middy from '@middy/core';

/**
 * The micro-batcher's Lambda handler for `config`: Kafka events (MSK or self-managed) and scheduled
 * sealing passes. Clients and the part cache are created here, once per handler (at cold start in
 * Lambda); each call builds an independent handler, so one process can run several configurations.
 */
export function createHandler(config: BatcherConfig) {
  const { lake, store } = createBatcherStorage(config);
  const logger = createLogger(FunctionFolder.microBatcher);
  const metrics = createMetrics(FunctionFolder.microBatcher, logger);
  const partCache = new PartCache();
  const schemas = new RecordedSchemas();
  return middy()
    .use(observability({ logger, metrics }))
    .handler((event: unknown) =>
      handleBatcherEvent(
        {
          descriptors: config.descriptors,
          lake,
          store,
          partCache,
          schemas,
          logger,
          metrics,
        },
        event,
      ),
    );
}
