import { type ControlPlaneConfig, createControlPlane, handleSavepointEvent } from '@apphub/control-plane';
import { createLogger, createMetrics, FunctionFolder, observability } from '@apphub/observability';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/**
 * The savepoint Lambda's handler for `config`: on its EventBridge schedule, savepoints every managed
 * running job and applies retention. The Flink and AWS clients are created once per handler.
 */
export function createHandler(config: ControlPlaneConfig) {
  const logger = createLogger(FunctionFolder.savepoint);
  const metrics = createMetrics(FunctionFolder.savepoint, logger);
  const plane = createControlPlane(config, { logger, metrics, service: FunctionFolder.savepoint });
  return middy()
    .use(observability({ logger, metrics }))
    .handler((event: unknown, context: Context) =>
      handleSavepointEvent(plane, event, { deadline: Date.now() + context.getRemainingTimeInMillis() }),
    );
}
