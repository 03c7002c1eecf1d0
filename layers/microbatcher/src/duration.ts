import { z } from '@apphub/platform/settings';

const units: Record<string, number> = { ms: 1, s: 1_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration such as "1 min", "30 s", "1 h", "500 ms", "1 d", parsed to milliseconds. */
export const durationSchema = z
  .string()
  .regex(/^\d+\s*(ms|s|min|h|d)$/, 'expected a duration such as "30 s", "1 min", "1 h", "1 d"')
  .transform((text) => {
    const [, amount, unit] = /^(\d+)\s*(ms|s|min|h|d)$/.exec(text)!;
    return Number(amount) * units[unit!]!;
  });
