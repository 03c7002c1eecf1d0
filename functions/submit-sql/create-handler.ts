import {
  type ControlPlaneConfig,
  createControlPlane,
  handleSubmitSqlEvent,
  metricsNamespace,
} from '@apphub/control-plane';
import { createLogger, Metrics, observability } from '@apphub/observability';
import middy from '@middy/core';

/**
 * The submit-sql Lambda's handler for `config`: `{ jobName, sqlTemplate, variables, restore,
 * allowNonRestoredState?, sessionProperties? }`. The Flink and AWS clients are created once per handler.
 */
export function createHandler(config: ControlPlaneConfig) {
  const logger = createLogger('submit-sql');
  const plane = createControlPlane(config, { logger, service: 'submit-sql' });
  const invocationMetrics = new Metrics(metricsNamespace, { Service: 'submit-sql' });
  return middy()
    .use(observability({ logger, metrics: invocationMetrics }))
    .handler((event: unknown) => handleSubmitSqlEvent(plane, event));
}
