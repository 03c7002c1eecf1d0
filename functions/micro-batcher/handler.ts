import {
  createBatcherStorage,
  handleBatcherEvent,
  metricsNamespace,
  PartCache,
  parseBatcherConfig,
} from '@apphub/microbatcher';
import { createLogger, Metrics, observability } from '@apphub/observability';
import middy from '@middy/core';

// Cold start: parse the descriptors and create clients once; a bad descriptor fails here, in one line.
const config = parseBatcherConfig();
const { lake, store } = createBatcherStorage(config);
const logger = createLogger('micro-batcher');
const invocationMetrics = new Metrics(metricsNamespace, { Service: 'micro-batcher' });
const partCache = new PartCache();

/** Lambda entry: Kafka events (MSK or self-managed) and scheduled sealing passes. */
export const handler = middy()
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
