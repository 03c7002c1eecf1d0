import type { MiddlewareObj } from '@middy/core';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

/**
 * Middy middleware: logs each invocation's start and failure as structured lines and flushes the
 * invocation's metrics whether it succeeded or failed. Errors are re-thrown so Lambda retries.
 */
export function observability(options: { logger: Logger; metrics: Metrics }): MiddlewareObj {
  const { logger, metrics } = options;
  return {
    before: async (request) => {
      logger.debug('invocation started', { requestId: request.context?.awsRequestId });
    },
    after: async () => {
      metrics.flush();
    },
    onError: async (request) => {
      metrics.add('InvocationErrors', 'Count');
      metrics.flush();
      logger.error('invocation failed', {
        requestId: request.context?.awsRequestId,
        error: request.error ?? undefined,
      });
    },
  };
}
