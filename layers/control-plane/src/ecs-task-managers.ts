import { DescribeServicesCommand, type ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { ControlPlaneScalingError } from './errors.js';
import type { TaskManagerScaler } from './rescale.js';
import type { TaskManagerServiceConfig } from './settings.js';

/**
 * The TaskManagers as an ECS service: the count is the service's desired count. ECS starts or stops
 * tasks after UpdateService; the rescale then waits until Flink has that many registered.
 */
export class EcsTaskManagerScaler implements TaskManagerScaler {
  readonly bounds: TaskManagerServiceConfig['bounds'];

  constructor(
    private readonly ecs: ECSClient,
    private readonly config: TaskManagerServiceConfig,
  ) {
    this.bounds = config.bounds;
  }

  async current(): Promise<number> {
    const { services = [], failures = [] } = await this.send('describe', () =>
      this.ecs.send(
        new DescribeServicesCommand({ cluster: this.config.cluster, services: [this.config.service] }),
      ),
    );
    const service = services[0];
    if (!service || service.desiredCount === undefined) {
      const reason = failures[0]?.reason ?? 'not returned';
      throw new ControlPlaneScalingError(
        `TaskManager service ${this.config.service} in cluster ${this.config.cluster}: ${reason}`,
      );
    }
    return service.desiredCount;
  }

  async scaleTo(count: number): Promise<void> {
    await this.send('update', () =>
      this.ecs.send(
        new UpdateServiceCommand({
          cluster: this.config.cluster,
          service: this.config.service,
          desiredCount: count,
        }),
      ),
    );
  }

  private async send<T>(what: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new ControlPlaneScalingError(
        `Could not ${what} the TaskManager service ${this.config.service}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}
