import { ControlPlaneScalingError, type TaskManagerScaler } from '@apphub/control-plane';
import { FlinkRestClient } from '@apphub/flink';
import { type LocalEndpoints, platform } from '@apphub/platform';
import {
  type Progress,
  programStates,
  recordTaskManagerCount,
  stackDown,
  stackPaths,
  stackUp,
} from '../stack/index.js';

const prefix = 'taskmanager-';

/** Each native TaskManager takes one Prometheus port of the platform's range, so the range bounds the count. */
function portRangeSize(range: string): number {
  const [first, last] = range.split('-').map(Number);
  return (last ?? 0) - (first ?? 0) + 1;
}

/**
 * The native stack's TaskManagers behind the control plane's {@link TaskManagerScaler}: count N means
 * `taskmanager-1` to `taskmanager-N` run under supervisord. It only starts and stops them through the
 * stack's own API (`stackUp`/`stackDown` with `only`), never below the stack's configured count, and
 * records the count so a later local:up keeps it. It never stops a TaskManager Flink still runs tasks
 * on (a slot taken): each registers as `taskmanager-<i>-<random>`, which names its process.
 */
export function localTaskManagerScaler(endpoints: LocalEndpoints, progress?: Progress): TaskManagerScaler {
  const running = async () =>
    [...(await programStates(stackPaths())).values()]
      .filter((program) => program.name.startsWith(prefix) && program.state === 'RUNNING')
      .map((program) => program.name);
  const rest = new FlinkRestClient({ baseUrl: endpoints.flinkRestUrl });
  const names = (from: number, to: number) =>
    Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => `${prefix}${from + i}`);
  return {
    bounds: { min: endpoints.taskManagers, max: portRangeSize(platform.ports.prometheusTaskManagerRange) },
    current: async () => (await running()).length,
    scaleTo: async (count) => {
      recordTaskManagerCount(stackPaths(), count, endpoints.taskManagers);
      const wanted = new Set(names(1, count));
      const extra = (await running()).filter((name) => !wanted.has(name));
      if (extra.length > 0) {
        const busy = (await rest.taskManagers()).filter(
          (tm) => tm.freeSlots < tm.slots && extra.some((name) => tm.id.startsWith(`${name}-`)),
        );
        if (busy.length > 0) {
          throw new ControlPlaneScalingError(
            `Cannot stop ${busy.map((tm) => tm.id).join(', ')}: Flink still runs tasks there`,
          );
        }
        await stackDown({ only: extra, progress });
      }
      const up = await running();
      const missing = [...wanted].filter((name) => !up.includes(name));
      if (missing.length > 0) {
        await stackUp({
          endpoints: { ...endpoints, taskManagers: count },
          only: missing,
          progress,
        });
      }
    },
  };
}
