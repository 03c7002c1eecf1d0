import { readFileSync } from 'node:fs';
import {
  autoscaleJobSettingsSchema,
  autoscaleSettingDefaults,
  autoscaleSettingsSchema,
  parseAutoscaleJobSettings,
  parseAutoscaleSettings,
  resolveAutoscaleSettings,
} from '@apphub/control-plane';
import { ConfigInvalidError } from '@apphub/platform';
import { describe, expect, it } from 'vitest';

const docs = readFileSync(new URL('../../../docs/control-plane.md', import.meta.url), 'utf8');

/** A default as the settings table of docs/control-plane.md writes it. */
const documented = (value: unknown) => (typeof value === 'string' ? `\`${value}\`` : String(value));

describe('autoscale settings', () => {
  it('fills every default, off unless switched on', () => {
    expect(parseAutoscaleSettings(undefined)).toEqual(autoscaleSettingDefaults);
    expect(autoscaleSettingDefaults).toMatchObject({
      enabled: false,
      targetUtilization: 0.7,
      stabilizationSeconds: 300,
      scaleUpDelaySeconds: 300,
      scaleDownDelaySeconds: 3600,
      maxRescalesPerHour: 3,
    });
    expect(parseAutoscaleSettings({ enabled: true, catchUpSeconds: 600 })).toMatchObject({
      enabled: true,
      catchUpSeconds: 600,
      restartSeconds: 300,
    });
  });

  it('names each bad key in one line, unknown keys included', () => {
    expect(() => parseAutoscaleSettings({ targetUtilisation: 0.6 })).toThrow(ConfigInvalidError);
    expect(() => parseAutoscaleSettings({ targetUtilisation: 0.6 })).toThrow(/targetUtilisation/);
    expect(() => parseAutoscaleSettings({ minParallelism: 8, maxParallelism: 4 })).toThrow(
      'autoscale configuration is invalid: maxParallelism: must not be below minParallelism',
    );
    expect(() => parseAutoscaleSettings({ targetUtilization: 0.95 })).toThrow(
      /targetUtilization: must lie strictly between utilizationMin and utilizationMax/,
    );
    expect(() => parseAutoscaleJobSettings({ enabled: 'yes' })).toThrow(
      /job autoscale configuration is invalid: enabled/,
    );
  });

  it('applies a job’s bounds within the global ones, and refuses bounds that leave no parallelism', () => {
    const global = parseAutoscaleSettings({ enabled: true, minParallelism: 2, maxParallelism: 16 });

    expect(
      resolveAutoscaleSettings(global, { minParallelism: 1, maxParallelism: 64 }, 'orders'),
    ).toMatchObject({
      minParallelism: 2,
      maxParallelism: 16,
    });
    expect(
      resolveAutoscaleSettings(global, { minParallelism: 4, maxParallelism: 8 }, 'orders'),
    ).toMatchObject({
      minParallelism: 4,
      maxParallelism: 8,
    });
    expect(() => resolveAutoscaleSettings(global, { minParallelism: 32 }, 'orders')).toThrow(
      'autoscale configuration of orders is invalid: parallelism bounds 32..16 (job within global) leave no parallelism',
    );
  });

  it('lets a job replace the timing and utilization settings, checked as the global ones are', () => {
    const global = parseAutoscaleSettings({ enabled: true });

    expect(
      resolveAutoscaleSettings(
        global,
        { enabled: true, stabilizationSeconds: 20, scaleDownDelaySeconds: 60, maxRescalesPerHour: 2 },
        'orders',
      ),
    ).toMatchObject({
      enabled: true,
      stabilizationSeconds: 20,
      scaleUpDelaySeconds: 300,
      scaleDownDelaySeconds: 60,
      maxRescalesPerHour: 2,
    });
    expect(() => resolveAutoscaleSettings(global, { targetUtilization: 0.95 }, 'orders')).toThrow(
      /autoscale configuration of orders is invalid: targetUtilization: must lie strictly between/,
    );
  });

  it('documents every setting with its default and every job setting in docs/control-plane.md', () => {
    const undocumented = Object.entries(autoscaleSettingDefaults)
      .filter(([key, value]) => !docs.includes(`| \`${key}\` | ${documented(value)} |`))
      .map(([key]) => key);
    const undocumentedPerJob = Object.keys(autoscaleJobSettingsSchema.shape).filter(
      (key) => !docs.includes(`| \`${key}\` | unset |`),
    );
    const undescribed = Object.entries(autoscaleSettingsSchema.shape)
      .filter(([, schema]) => !schema.description)
      .map(([key]) => key);

    expect(undocumented).toEqual([]);
    expect(undocumentedPerJob).toEqual([]);
    expect(undescribed).toEqual([]);
  });
});
