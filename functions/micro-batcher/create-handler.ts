import {
  type BatcherConfig,
  createBatcherStorage,
  handleBatcherEvent,
  metricsNamespace,
  PartCache,
} from '@apphub/microbatcher';
import { createLogger, Metrics, observability } from '@apphub/observability';
import middy from '@middy/core';

/**
 * The micro-batcher's Lambda handler for `config`: Kafka events (MSK or self-managed) and scheduled
 * sealing passes. Clients and the part cache are created here, once per handler (at cold start in
 * Lambda); each call builds an independent handler, so one process can run several configurations.
 */
export function createHandler(config: BatcherConfig) {
  const { lake, store } = createBatcherStorage(config);
  const logger = createLogger('micro-batcher');
  const invocationMetrics = new Metrics(metricsNamespace, { Service: 'micro-batcher' });
  const partCache = new PartCache();
  return middy()
    .use(observability({ logger, metrics: invocationMetrics }))
    .handler((event: unknown) =>
      handleBatcherEvent(
        {
          descriptors: config.descriptors,
          lake,
          store,
          partCache,
          logger,
          metricsFor: (dataset) => new Metrics(metricsNamespace, { Dataset: dataset }),
          serviceMetrics: invocationMetrics,
        },
        event,
      ),
    );
}
