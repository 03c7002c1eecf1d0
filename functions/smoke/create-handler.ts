import { createLogger, createMetrics, FunctionFolder, observability } from '@apphub/observability';
import { type DeployedSmokeConfig, runDeployedSmoke } from '@apphub/smoke';
import { LambdaClient } from '@aws-sdk/client-lambda';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/** Time kept back from the function's timeout to return the report. */
const REPORT_MARGIN_MS = 20_000;

/**
 * The smoke function's handler: `{}` or `{"runId": "..."}` runs the smoke steps inside the
 * deployment and returns the report (`npm run smoke -- --target aws` prints it). A failing pipeline
 * is a report with FAIL rows, not an error; an error means the smoke test itself could not run.
 */
export function createHandler(config: DeployedSmokeConfig) {
  const logger = createLogger(FunctionFolder.smoke);
  const metrics = createMetrics(FunctionFolder.smoke, logger);
  // Short timeouts: a sealing pass is asked for every 30 s and may fail without harm.
  const lambda = new LambdaClient({ requestHandler: { connectionTimeout: 5_000, requestTimeout: 10_000 } });
  return middy()
    .use(observability({ logger, metrics }))
    .handler(async (event: unknown, context: Context) => {
      const report = await runDeployedSmoke(
        config,
        { lambda },
        event,
        Date.now() + context.getRemainingTimeInMillis() - REPORT_MARGIN_MS,
      );
      logger.info('smoke run finished', { runId: report.runId, passed: report.passed, steps: report.steps });
      return report;
    });
}
