import {
  type ControlPlaneConfig,
  createControlPlane,
  handleSavepointEvent,
  metricsNamespace,
} from '@apphub/control-plane';
import { createLogger, Metrics, observability } from '@apphub/observability';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/**
 * The savepoint Lambda's handler for `config`: on its EventBridge schedule, savepoints every managed
 * running job and applies retention. The Flink and AWS clients are created once per handler.
 */
export function createHandler(config: ControlPlaneConfig) {
  const logger = createLogger('savepoint');
  const plane = createControlPlane(config, { logger, service: 'savepoint' });
  const invocationMetrics = new Metrics(metricsNamespace, { Service: 'savepoint' });
  return middy()
    .use(observability({ logger, metrics: invocationMetrics }))
    .handler((event: unknown, context: Context) =>
      handleSavepointEvent(plane, event, { deadline: Date.now() + context.getRemainingTimeInMillis() }),
    );
}
