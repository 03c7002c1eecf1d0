import { type ControlPlaneConfig, createControlPlane, handleSubmitSqlEvent } from '@apphub/control-plane';
import { createLogger, createMetrics, FunctionFolder, observability } from '@apphub/observability';
import middy from '@middy/core';

/**
 * The submit-sql Lambda's handler for `config`: `{ jobName, sqlTemplate, variables, restore,
 * allowNonRestoredState?, sessionProperties? }`. The Flink and AWS clients are created once per handler.
 */
export function createHandler(config: ControlPlaneConfig) {
  const logger = createLogger(FunctionFolder.submitSql);
  const metrics = createMetrics(FunctionFolder.submitSql, logger);
  const plane = createControlPlane(config, { logger, metrics, service: FunctionFolder.submitSql });
  return middy()
    .use(observability({ logger, metrics }))
    .handler((event: unknown) => handleSubmitSqlEvent(plane, event));
}
