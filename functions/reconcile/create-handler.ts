import { type ControlPlaneConfig, createControlPlane, handleReconcileEvent } from '@apphub/control-plane';
import { createLogger, createMetrics, FunctionFolder, observability } from '@apphub/observability';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/**
 * The reconcile Lambda's handler for `config`: on its EventBridge schedule, or the JobManager's ECS
 * task reaching RUNNING, brings Flink in line with the desired jobs. The deadline bounds the
 * single-flight lease and the JobManager wait. The Flink and AWS clients are created once per handler.
 */
export function createHandler(config: ControlPlaneConfig) {
  const logger = createLogger(FunctionFolder.reconcile);
  const metrics = createMetrics(FunctionFolder.reconcile, logger);
  const plane = createControlPlane(config, { logger, metrics, service: FunctionFolder.reconcile });
  return middy()
    .use(observability({ logger, metrics }))
    .handler((event: unknown, context: Context) =>
      handleReconcileEvent(plane, event, { deadline: Date.now() + context.getRemainingTimeInMillis() }),
    );
}
