import {
  createControlPlane,
  handleReconcileEvent,
  metricsNamespace,
  parseControlPlaneConfig,
} from '@apphub/control-plane';
import { createLogger, Metrics, observability } from '@apphub/observability';
import middy from '@middy/core';

// Cold start: parse the environment and create the Flink and AWS clients once.
const logger = createLogger('reconcile');
const plane = createControlPlane(parseControlPlaneConfig(), { logger, service: 'reconcile' });
const invocationMetrics = new Metrics(metricsNamespace, { Service: 'reconcile' });

/** Lambda entry: EventBridge scheduled event; brings Flink in line with the desired jobs. */
export const handler = middy()
  .use(observability({ logger, metrics: invocationMetrics }))
  .handler((event: unknown) => handleReconcileEvent(plane, event));
