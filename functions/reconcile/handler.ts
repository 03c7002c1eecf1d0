import {
  createControlPlane,
  handleReconcileEvent,
  metricsNamespace,
  parseControlPlaneConfig,
} from '@apphub/control-plane';
import { createLogger, Metrics, observability } from '@apphub/observability';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

// Cold start: parse the environment and create the Flink and AWS clients once.
const logger = createLogger('reconcile');
const plane = createControlPlane(parseControlPlaneConfig(), { logger, service: 'reconcile' });
const invocationMetrics = new Metrics(metricsNamespace, { Service: 'reconcile' });

/**
 * Lambda entry: EventBridge schedule, or the JobManager's ECS task reaching RUNNING; brings Flink in
 * line with the desired jobs. The deadline bounds the single-flight lease and the JobManager wait.
 */
export const handler = middy()
  .use(observability({ logger, metrics: invocationMetrics }))
  .handler((event: unknown, context: Context) =>
    handleReconcileEvent(plane, event, { deadline: Date.now() + context.getRemainingTimeInMillis() }),
  );
