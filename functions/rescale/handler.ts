import {
  createControlPlane,
  EcsTaskManagerScaler,
  handleRescaleEvent,
  metricsNamespace,
  parseControlPlaneConfig,
  parseTaskManagerServiceConfig,
} from '@apphub/control-plane';
import { createLogger, Metrics, observability } from '@apphub/observability';
import { ECSClient } from '@aws-sdk/client-ecs';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

// Cold start: parse the environment and create the Flink, AWS and ECS clients once.
const logger = createLogger('rescale');
const plane = createControlPlane(parseControlPlaneConfig(), { logger, service: 'rescale' });
const scaler = new EcsTaskManagerScaler(new ECSClient({}), parseTaskManagerServiceConfig());
const invocationMetrics = new Metrics(metricsNamespace, { Service: 'rescale' });

/** Lambda entry: `{ jobName, parallelism }`; stops with a savepoint, resizes the TaskManagers, restores. */
export const handler = middy()
  .use(observability({ logger, metrics: invocationMetrics }))
  .handler((event: unknown, context: Context) =>
    handleRescaleEvent(plane, scaler, event, { deadline: Date.now() + context.getRemainingTimeInMillis() }),
  );
