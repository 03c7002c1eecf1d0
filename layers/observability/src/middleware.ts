import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { Logger } from './logger.js';
import { MetricName } from './metric-names.js';

/**
 * Middy middlewares of every function: Powertools adds the Lambda context to each log line and
 * publishes the invocation's metrics as one EMF line whether it succeeded or failed; a failure is
 * logged and counted first (middy runs `onError` in reverse order). Errors are re-thrown so Lambda retries.
 */
export function observability(options: { logger: Logger; metrics: Metrics }): MiddlewareObj[] {
  const { logger, metrics } = options;
  return [
    injectLambdaContext(logger),
    publishStoredMetrics(metrics),
    {
      before: async () => {
        logger.debug('invocation started');
      },
      onError: async (request) => {
        metrics.addMetric(MetricName.invocationErrors, MetricUnit.Count, 1);
        logger.error('invocation failed', { error: request.error ?? undefined });
      },
    },
  ];
}

/**
 * Publishes what the invocation stored as one EMF line, and nothing when it stored no metric (a
 * micro-batcher invocation with nothing to do): Powertools' `logMetrics` would log a warning then.
 */
function publishStoredMetrics(metrics: Metrics): MiddlewareObj {
  const publish = async () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: publish, onError: publish };
}
