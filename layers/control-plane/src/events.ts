import { parseWith, z } from '@apphub/platform';
import { ControlPlaneEventInvalidError } from './errors.js';

/** The envelope every EventBridge event has. */
const envelope = {
  version: z.string(),
  id: z.string(),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
};

/**
 * An EventBridge scheduled event as AWS delivers it. Rules may add `detail.jobNames` (constant input
 * is not used: AWS sends `detail: {}` for schedules) so only known keys are accepted.
 */
export const scheduledEventSchema = z.looseObject({
  ...envelope,
  'detail-type': z.literal('Scheduled Event'),
  source: z.literal('aws.events'),
  detail: z.strictObject({ jobNames: z.array(z.string().min(1)).optional() }),
});

export type ScheduledEvent = z.output<typeof scheduledEventSchema>;

/**
 * An ECS task state change (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html).
 * Only the fields the control plane reads are checked; ECS adds fields over time, so others pass.
 */
export const taskStateChangeEventSchema = z.looseObject({
  ...envelope,
  'detail-type': z.literal('ECS Task State Change'),
  source: z.literal('aws.ecs'),
  detail: z.looseObject({
    clusterArn: z.string().startsWith('arn:'),
    taskArn: z.string().startsWith('arn:'),
    /** `service:<service name>` for tasks a service started. */
    group: z.string(),
    lastStatus: z.string(),
    desiredStatus: z.string(),
  }),
});

export type TaskStateChangeEvent = z.output<typeof taskStateChangeEventSchema>;

/** Parses a scheduled event; anything else fails with one line naming the bad field. */
export function parseScheduledEvent(event: unknown): ScheduledEvent {
  return parseEvent(scheduledEventSchema, event, 'EventBridge scheduled event');
}

/** What invoked reconcile: its schedule, or the JobManager's ECS task reaching RUNNING. */
export type ReconcileTrigger =
  | { readonly kind: 'schedule'; readonly jobNames: readonly string[] | undefined }
  | { readonly kind: 'jobmanager-started'; readonly taskArn: string; readonly running: boolean };

/** Parses reconcile's event: a scheduled event or an ECS task state change; one line naming the bad field. */
export function parseReconcileEvent(event: unknown): ReconcileTrigger {
  const detailType = (event as { 'detail-type'?: unknown } | null)?.['detail-type'];
  if (detailType === 'ECS Task State Change') {
    const change = parseEvent(taskStateChangeEventSchema, event, 'ECS task state change event');
    return {
      kind: 'jobmanager-started',
      taskArn: change.detail.taskArn,
      running: change.detail.lastStatus === 'RUNNING' && change.detail.desiredStatus === 'RUNNING',
    };
  }
  return { kind: 'schedule', jobNames: parseScheduledEvent(event).detail.jobNames };
}

function parseEvent<T extends z.ZodType>(schema: T, event: unknown, what: string): z.output<T> {
  try {
    return parseWith(schema, event, what);
  } catch (error) {
    throw new ControlPlaneEventInvalidError((error as Error).message, { cause: error });
  }
}
