import {
  type ControlPlaneConfig,
  createControlPlane,
  EcsTaskManagerScaler,
  handleRescaleEvent,
  type TaskManagerServiceConfig,
} from '@apphub/control-plane';
import { createLogger, createMetrics, FunctionFolder, observability } from '@apphub/observability';
import { ECSClient } from '@aws-sdk/client-ecs';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/** What the rescale function is configured with: the control plane and the TaskManagers' ECS service. */
export interface RescaleConfig {
  readonly controlPlane: ControlPlaneConfig;
  readonly taskManagers: TaskManagerServiceConfig;
}

/**
 * The rescale Lambda's handler for `config`: `{ jobName, parallelism }`; stops the job with a
 * savepoint, resizes the TaskManagers' ECS service, restores. The Flink, AWS and ECS clients are
 * created once per handler.
 */
export function createHandler(config: RescaleConfig) {
  const logger = createLogger(FunctionFolder.rescale);
  const metrics = createMetrics(FunctionFolder.rescale, logger);
  const plane = createControlPlane(config.controlPlane, { logger, metrics, service: FunctionFolder.rescale });
  const scaler = new EcsTaskManagerScaler(new ECSClient({}), config.taskManagers);
  return middy()
    .use(observability({ logger, metrics }))
    .handler((event: unknown, context: Context) =>
      handleRescaleEvent(plane, scaler, event, { deadline: Date.now() + context.getRemainingTimeInMillis() }),
    );
}
