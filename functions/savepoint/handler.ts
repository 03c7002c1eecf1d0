import {
  createControlPlane,
  handleSavepointEvent,
  metricsNamespace,
  parseControlPlaneConfig,
} from '@apphub/control-plane';
import { createLogger, Metrics, observability } from '@apphub/observability';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

// Cold start: parse the environment and create the Flink and AWS clients once.
const logger = createLogger('savepoint');
const plane = createControlPlane(parseControlPlaneConfig(), { logger, service: 'savepoint' });
const invocationMetrics = new Metrics(metricsNamespace, { Service: 'savepoint' });

/** Lambda entry: EventBridge scheduled event; savepoints every managed running job and applies retention. */
export const handler = middy()
  .use(observability({ logger, metrics: invocationMetrics }))
  .handler((event: unknown, context: Context) =>
    handleSavepointEvent(plane, event, { deadline: Date.now() + context.getRemainingTimeInMillis() }),
  );
