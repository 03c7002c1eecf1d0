import { describe, expect, it } from 'vitest';
import { parseAppConfig } from '../../cdk/lib/config.js';

const enabled = { APPHUB_STREAMING_ENABLED: '1' };

/**
 * The CPU and memory combinations Fargate runs (Linux tasks), from the task size table of
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 * (memory in MiB). Any other pair fails when the task definition is registered.
 */
const FARGATE_TABLE: Record<number, { from: number; to: number; step: number } | number[]> = {
  256: [512, 1024, 2048],
  512: { from: 1024, to: 4096, step: 1024 },
  1024: { from: 2048, to: 8192, step: 1024 },
  2048: { from: 4096, to: 16384, step: 1024 },
  4096: { from: 8192, to: 30720, step: 1024 },
  8192: { from: 16384, to: 61440, step: 4096 },
  16384: { from: 32768, to: 122880, step: 8192 },
};

function memoriesFor(cpu: number): number[] {
  const entry = FARGATE_TABLE[cpu]!;
  if (Array.isArray(entry)) return entry;
  const values: number[] = [];
  for (let memory = entry.from; memory <= entry.to; memory += entry.step) values.push(memory);
  return values;
}

const components = [
  { cpu: 'taskManagerCpu', memory: 'taskManagerMemoryMiB', cpus: [512, 1024, 2048, 4096, 8192, 16384] },
  { cpu: 'jobManagerCpu', memory: 'jobManagerMemoryMiB', cpus: [512, 1024, 2048, 4096] },
  { cpu: 'sqlGatewayCpu', memory: 'sqlGatewayMemoryMiB', cpus: [256, 512, 1024, 2048] },
] as const;

describe('Fargate task sizes', () => {
  it('accept every pair of the Fargate table that the component allows', () => {
    for (const { cpu, memory, cpus } of components) {
      for (const units of cpus) {
        for (const mib of memoriesFor(units).filter((value) => value >= 1024)) {
          expect(
            () => parseAppConfig({ [`apphub:${cpu}`]: units, [`apphub:${memory}`]: mib }, enabled),
            `${cpu}=${units} ${memory}=${mib}`,
          ).not.toThrow();
        }
      }
    }
  });

  it('refuse a pair Fargate rejects with one line naming the field and the allowed memory', () => {
    const cases: Array<[string, number, string, number, RegExp]> = [
      ['taskManagerCpu', 1024, 'taskManagerMemoryMiB', 1536, /2048-8192 MiB in steps of 1024/],
      ['taskManagerCpu', 4096, 'taskManagerMemoryMiB', 4096, /8192-30720 MiB in steps of 1024/],
      ['taskManagerCpu', 8192, 'taskManagerMemoryMiB', 18432, /16384-61440 MiB in steps of 4096/],
      ['jobManagerCpu', 512, 'jobManagerMemoryMiB', 8192, /1024-4096 MiB in steps of 1024/],
      ['sqlGatewayCpu', 256, 'sqlGatewayMemoryMiB', 4096, /512, 1024 or 2048 MiB/],
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
