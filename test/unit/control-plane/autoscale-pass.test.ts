import {
  type ControlPlane,
  parseAutoscaleSettings,
  runAutoscale,
  type TaskManagerScaler,
} from '@apphub/control-plane';
import { describe, expect, it } from 'vitest';

/** An object whose every property access fails the test: the pass must not touch it. */
function untouchable<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_, property) => {
      throw new Error(`${name}.${String(property)} was used`);
    },
  });
}

/** A control plane whose clients and stores all fail when used, with the given autoscaler settings. */
function planeWith(autoscale: unknown, decisions = true): ControlPlane {
  return {
    ...untouchableParts(),
    config: { autoscale: parseAutoscaleSettings(autoscale) } as ControlPlane['config'],
    autoscaleDecisions: decisions ? untouchable('autoscaleDecisions') : undefined,
  } as ControlPlane;
}

function untouchableParts(): Partial<ControlPlane> {
  return Object.fromEntries(
    ['rest', 'flinkMetrics', 'gateway', 'jobs', 'savepoints', 'leases', 'storage'].map((name) => [
      name,
      untouchable(name),
    ]),
  );
}

describe('the autoscale pass with the global switch off', () => {
  it('reads and writes nothing: no job, no lease, no Flink request, no TaskManager change', async () => {
    // Prepare: every client throws when used; the scaler too.
    const scaler = untouchable<TaskManagerScaler>('scaler');

    // Act
    const off = await runAutoscale(planeWith({}), scaler);
    const offExplicitly = await runAutoscale(planeWith({ enabled: false, maxRescalesPerHour: 1 }), scaler);

    // Assess
    expect(off).toEqual({ ran: true, value: [] });
    expect(offExplicitly).toEqual({ ran: true, value: [] });
  });

  it('does nothing either without a decisions table to record in', async () => {
    const outcome = await runAutoscale(
      planeWith({ enabled: true }, false),
      untouchable<TaskManagerScaler>('scaler'),
    );

    expect(outcome).toEqual({ ran: true, value: [] });
  });

  it('with the global switch on, starts by taking its pass lease (and so would act)', async () => {
    await expect(
      runAutoscale(planeWith({ enabled: true }), untouchable<TaskManagerScaler>('scaler')),
    ).rejects.toThrow(/^leases\.\w+ was used$/);
  });
});
