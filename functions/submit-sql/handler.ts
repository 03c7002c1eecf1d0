import {
  createControlPlane,
  handleSubmitSqlEvent,
  metricsNamespace,
  parseControlPlaneConfig,
} from '@apphub/control-plane';
import { createLogger, Metrics, observability } from '@apphub/observability';
import middy from '@middy/core';

// Cold start: parse the environment and create the Flink and AWS clients once.
const logger = createLogger('submit-sql');
const plane = createControlPlane(parseControlPlaneConfig(), { logger, service: 'submit-sql' });
const invocationMetrics = new Metrics(metricsNamespace, { Service: 'submit-sql' });

/** Lambda entry: `{ jobName, sqlTemplate, variables, restore, allowNonRestoredState?, sessionProperties? }`. */
export const handler = middy()
  .use(observability({ logger, metrics: invocationMetrics }))
  .handler((event: unknown) => handleSubmitSqlEvent(plane, event));
