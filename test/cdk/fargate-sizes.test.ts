import { describe, expect, it } from 'vitest';
import { parseAppConfig } from '../../cdk/lib/config.js';
import { FARGATE_TASK_SIZES } from '../../cdk/lib/fargate-sizes.js';

const enabled = { APPHUB_STREAMING_ENABLED: '1' };

// The CPU and memory combinations Fargate runs (Linux tasks) are the task size table of
// https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size,
// kept once in cdk/lib/fargate-sizes.ts. Any other pair fails when the task definition is registered.

const components = [
  { cpu: 'taskManagerCpu', memory: 'taskManagerMemoryMiB', cpus: [512, 1024, 2048, 4096, 8192, 16384] },
  { cpu: 'jobManagerCpu', memory: 'jobManagerMemoryMiB', cpus: [512, 1024, 2048, 4096] },
  { cpu: 'sqlGatewayCpu', memory: 'sqlGatewayMemoryMiB', cpus: [256, 512, 1024, 2048] },
] as const;

describe('Fargate task sizes', () => {
  it('accept every pair of the Fargate table that the component allows', () => {
    for (const { cpu, memory, cpus } of components) {
      for (const units of cpus) {
        for (const mib of FARGATE_TASK_SIZES[units]!.filter((value) => value >= 1024)) {
          expect(
            () => parseAppConfig({ [`apphub:${cpu}`]: units, [`apphub:${memory}`]: mib }, enabled),
            `${cpu}=${units} ${memory}=${mib}`,
          ).not.toThrow();
        }
      }
    }
  });

  it('refuse a pair Fargate rejects with one line naming the field and the allowed memory', () => {
    // Every row of the AWS table, as its allowed memory reads in the error.
    const cases: Array<[string, number, string, number, RegExp]> = [
      ['taskManagerCpu', 1024, 'taskManagerMemoryMiB', 1536, /2048-8192 MiB in steps of 1024/],
      ['taskManagerCpu', 2048, 'taskManagerMemoryMiB', 17408, /4096-16384 MiB in steps of 1024/],
      ['taskManagerCpu', 4096, 'taskManagerMemoryMiB', 4096, /8192-30720 MiB in steps of 1024/],
      ['taskManagerCpu', 8192, 'taskManagerMemoryMiB', 18432, /16384-61440 MiB in steps of 4096/],
      ['taskManagerCpu', 16384, 'taskManagerMemoryMiB', 36864, /32768-122880 MiB in steps of 8192/],
      ['jobManagerCpu', 512, 'jobManagerMemoryMiB', 8192, /1024-4096 MiB in steps of 1024/],
      ['sqlGatewayCpu', 256, 'sqlGatewayMemoryMiB', 4096, /512, 1024 or 2048 MiB/],
      ['sqlGatewayCpu', 256, 'sqlGatewayMemoryMiB', 1536, /512, 1024 or 2048 MiB/],
    ];

    for (const [cpu, units, memory, mib, allowed] of cases) {
      const attempt = () => parseAppConfig({ [`apphub:${cpu}`]: units, [`apphub:${memory}`]: mib }, enabled);

      expect(attempt, `${cpu}=${units} ${memory}=${mib}`).toThrow(
        new RegExp(`${memory}: Fargate does not run ${units} CPU units with ${mib} MiB`),
      );
      expect(attempt).toThrow(allowed);
      expect(attempt).not.toThrow(/\n/);
    }
  });
});
