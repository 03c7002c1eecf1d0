import { ConfigInvalidError, parseWith, z } from '@apphub/platform/settings';

const seconds = z.number().int().nonnegative();
const share = z.number().gt(0).lte(1);

/**
 * The autoscaler's settings for the whole platform: every key with its default and meaning (read
 * them with {@link autoscaleSettingDefaults} and each field's `description`). docs/control-plane.md
 * documents each one, and a unit test fails when one is missing there. Unknown keys are rejected.
 */
export const autoscaleSettingsSchema = z
  .strictObject({
    enabled: z
      .boolean()
      .default(false)
      .describe('Global switch: false leaves every job as it is, whatever its own setting says.'),
    targetUtilization: share
      .default(0.7)
      .describe(
        'Share of each vertex busy time a new parallelism aims at, at the target rate (input plus backlog catch-up).',
      ),
    utilizationMax: share
      .default(0.9)
      .describe(
        'A vertex that would be busier than this at the target rate asks for more parallelism (upper edge of the dead band).',
      ),
    utilizationMin: share
      .default(0.4)
      .describe(
        'A job whose vertices would all be less busy than this at the target rate asks for less (lower edge of the dead band).',
      ),
    catchUpSeconds: seconds
      .default(1800)
      .describe(
        'Time in which a new parallelism must read the backlog (pending records) on top of the input; 0 ignores the backlog.',
      ),
    restartSeconds: seconds
      .default(300)
      .describe('Expected length of a rescale; the input that piles up meanwhile is added to the catch-up.'),
    stabilizationSeconds: seconds
      .default(300)
      .describe(
        'After a rescale decision or a job (re)start, how long metrics are only recorded, not acted on.',
      ),
    scaleUpDelaySeconds: seconds
      .default(300)
      .describe(
        'How long every observation must ask for more parallelism before a scale-up; the lowest of their requirements is taken.',
      ),
    scaleDownDelaySeconds: seconds
      .default(3600)
      .describe(
        'How long every observation must ask for less parallelism before a scale-down; the highest of their requirements is taken.',
      ),
    maxRescalesPerHour: z
      .number()
      .int()
      .positive()
      .default(3)
      .describe('Rescale decisions allowed per job in any 60 minutes; further ones wait.'),
    minParallelism: z
      .number()
      .int()
      .positive()
      .default(1)
      .describe('Lowest parallelism the autoscaler sets (a job below it is never scaled down further).'),
    maxParallelism: z
      .number()
      .int()
      .positive()
      .default(200)
      .describe(
        'Highest parallelism the autoscaler sets; the slots of the most TaskManagers allowed and the key groups bound it too.',
      ),
    keyGroupAlignment: z
      .enum(['evenly-spread', 'maximize-utilization'])
      .default('evenly-spread')
      .describe(
        'evenly-spread: a keyed job gets a parallelism that divides its key groups (max parallelism), so every subtask holds as many; maximize-utilization: the smallest parallelism with fewer key groups per subtask than now.',
      ),
    busyTimeAggregate: z
      .enum(['max', 'avg'])
      .default('max')
      .describe(
        "Which subtask's busy time stands for a vertex: the busiest (max; safe under skew) or the average (avg).",
      ),
    decisionRetentionHours: z
      .number()
      .positive()
      .default(168)
      .describe('How long decision records are kept (DynamoDB TTL) for status and history.'),
  })
  .superRefine((settings, context) => {
    if (settings.minParallelism > settings.maxParallelism) {
      context.addIssue({
        code: 'custom',
        path: ['maxParallelism'],
        message: 'must not be below minParallelism',
      });
    }
    if (
      !(
        settings.utilizationMin < settings.targetUtilization &&
        settings.targetUtilization < settings.utilizationMax
      )
    ) {
      context.addIssue({
        code: 'custom',
        path: ['targetUtilization'],
        message: 'must lie strictly between utilizationMin and utilizationMax',
      });
    }
  });

/** The platform's autoscaler settings, every default filled in. */
export type AutoscaleSettings = z.output<typeof autoscaleSettingsSchema>;

/** Every setting at its default. */
export const autoscaleSettingDefaults: AutoscaleSettings = Object.freeze(autoscaleSettingsSchema.parse({}));

const positive = z.number().int().positive();

/**
 * One job's own autoscaler settings. A job is autoscaled only when it switches itself on and the
 * global switch is on too; whatever else is unset follows the platform's settings.
 */
export const autoscaleJobSettingsSchema = z.strictObject({
  enabled: z
    .boolean()
    .optional()
    .describe('Per-job switch: only a job with true is autoscaled (and only while the global switch is on).'),
  minParallelism: positive.optional().describe('Raises the global minParallelism for this job.'),
  maxParallelism: positive.optional().describe('Lowers the global maxParallelism for this job.'),
  targetUtilization: share.optional().describe('Replaces the global targetUtilization for this job.'),
  utilizationMax: share.optional().describe('Replaces the global utilizationMax for this job.'),
  utilizationMin: share.optional().describe('Replaces the global utilizationMin for this job.'),
  catchUpSeconds: seconds.optional().describe('Replaces the global catchUpSeconds for this job.'),
  restartSeconds: seconds.optional().describe('Replaces the global restartSeconds for this job.'),
  stabilizationSeconds: seconds.optional().describe('Replaces the global stabilizationSeconds for this job.'),
  scaleUpDelaySeconds: seconds.optional().describe('Replaces the global scaleUpDelaySeconds for this job.'),
  scaleDownDelaySeconds: seconds
    .optional()
    .describe('Replaces the global scaleDownDelaySeconds for this job.'),
  maxRescalesPerHour: positive.optional().describe('Replaces the global maxRescalesPerHour for this job.'),
});

/** One job's own autoscaler settings, as stored or requested. */
export type AutoscaleJobSettings = z.output<typeof autoscaleJobSettingsSchema>;

/** Parses the platform's settings (e.g. JSON from the environment); one line naming each bad key. */
export function parseAutoscaleSettings(value: unknown): AutoscaleSettings {
  return Object.freeze(parseWith(autoscaleSettingsSchema, value ?? {}, 'autoscale configuration'));
}

/** Parses one job's settings; one line naming each bad key. */
export function parseAutoscaleJobSettings(value: unknown): AutoscaleJobSettings {
  return Object.freeze(parseWith(autoscaleJobSettingsSchema, value ?? {}, 'job autoscale configuration'));
}

/**
 * The settings that apply to one job: on only when the global switch is on and the job's own is on;
 * its parallelism bounds within the global ones, its other settings over the global ones. Bounds that
 * leave no parallelism, or utilization settings out of order, are an error naming the job.
 */
export function resolveAutoscaleSettings(
  global: AutoscaleSettings,
  job: AutoscaleJobSettings | undefined,
  jobName: string,
): AutoscaleSettings {
  const minParallelism = Math.max(global.minParallelism, job?.minParallelism ?? 1);
  const maxParallelism = Math.min(global.maxParallelism, job?.maxParallelism ?? Number.POSITIVE_INFINITY);
  if (minParallelism > maxParallelism) {
    throw new ConfigInvalidError(
      `autoscale configuration of ${jobName} is invalid: parallelism bounds ${minParallelism}..${maxParallelism} (job within global) leave no parallelism`,
    );
  }
  const { enabled, minParallelism: _min, maxParallelism: _max, ...overrides } = job ?? {};
  const merged = { ...global, ...definedOnly(overrides), minParallelism, maxParallelism };
  return Object.freeze({
    ...parseWith(autoscaleSettingsSchema, merged, `autoscale configuration of ${jobName}`),
    enabled: global.enabled && enabled === true,
  });
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
