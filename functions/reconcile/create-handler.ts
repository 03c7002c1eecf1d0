import {
  type ControlPlaneConfig,
  createControlPlane,
  EcsTaskManagerScaler,
  handleReconcileEvent,
  type TaskManagerServiceConfig,
} from '@apphub/control-plane';
import { createLogger, createMetrics, FunctionFolder, observability } from '@apphub/observability';
import { ECSClient } from '@aws-sdk/client-ecs';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

/**
 * The reconcile Lambda's handler for `config`: on its EventBridge schedule, or the JobManager's ECS
 * task reaching RUNNING, brings Flink in line with the desired jobs; on the schedule it then runs the
 * autoscale pass, which resizes the TaskManagers' ECS service when given (`taskManagers`, set when
 * the autoscaler is on). The deadline bounds the single-flight leases and the JobManager wait. The
 * Flink, AWS and ECS clients are created once per handler.
 */
export function createHandler(config: ControlPlaneConfig, taskManagers?: TaskManagerServiceConfig) {
  const logger = createLogger(FunctionFolder.reconcile);
  const metrics = createMetrics(FunctionFolder.reconcile, logger);
  const plane = createControlPlane(config, { logger, metrics, service: FunctionFolder.reconcile });
  const scaler = taskManagers ? new EcsTaskManagerScaler(new ECSClient({}), taskManagers) : undefined;
  return middy()
    .use(observability({ logger, metrics }))
    .handler((event: unknown, context: Context) =>
      handleReconcileEvent(
        plane,
        event,
        { deadline: Date.now() + context.getRemainingTimeInMillis() },
        scaler,
      ),
    );
}
