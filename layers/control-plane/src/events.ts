import { parseWith, z } from '@apphub/platform';
import { ControlPlaneEventInvalidError } from './errors.js';

/**
 * An EventBridge scheduled event as AWS delivers it. Rules may add `detail.jobNames` (constant input
 * is not used: AWS sends `detail: {}` for schedules) so only known keys are accepted.
 */
export const scheduledEventSchema = z.looseObject({
  version: z.string(),
  id: z.string(),
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.strictObject({ jobNames: z.array(z.string().min(1)).optional() }),
});

export type ScheduledEvent = z.output<typeof scheduledEventSchema>;

/** Parses a scheduled event; anything else fails with one line naming the bad field. */
export function parseScheduledEvent(event: unknown): ScheduledEvent {
  try {
    return parseWith(scheduledEventSchema, event, 'EventBridge scheduled event');
  } catch (error) {
    throw new ControlPlaneEventInvalidError((error as Error).message, { cause: error });
  }
}
