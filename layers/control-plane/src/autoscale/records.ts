import { z } from '@apphub/platform';
import { parseRecord } from '../records.js';

/** Why a decision is what it is; the CLI words the hint, the record keeps the code and the numbers. */
export const autoscaleReasonCodes = [
  'disabled',
  'job-not-running',
  'stabilizing',
  'metrics-missing',
  'rate-unknown',
  'within-target',
  'at-bound',
  'alignment-blocked',
  'scale-up-pending',
  'scale-down-pending',
  'rescale-limit',
  'scale-up',
  'scale-down',
] as const;

export type AutoscaleReasonCode = (typeof autoscaleReasonCodes)[number];

const reasonSchema = z.object({ code: z.enum(autoscaleReasonCodes), detail: z.string() });

/** One reason of a decision: a code and a sentence with the numbers behind it. */
export type AutoscaleReason = z.output<typeof reasonSchema>;

// Absent numbers: not reported, or unbounded (a vertex that read nothing has no measurable rate).
const vertexEvaluationSchema = z.object({
  vertexId: z.string(),
  name: z.string(),
  parallelism: z.number(),
  maxParallelism: z.number(),
  source: z.boolean(),
  keyed: z.boolean(),
  busyRatio: z.number().optional(),
  backPressuredRatio: z.number().optional(),
  idleRatio: z.number().optional(),
  recordsInPerSecond: z.number().optional(),
  recordsOutPerSecond: z.number().optional(),
  pendingRecords: z.number().optional(),
  sourcePartitions: z.number().optional(),
  /** Records per second a source's backlog fell, standing in for a read rate Flink did not report yet. */
  backlogFallPerSecond: z.number().optional(),
  /** Records per second one subtask could process if it were busy all the time. */
  trueRatePerSubtask: z.number().optional(),
  /** Records per second the vertex must process: input, plus backlog and restart catch-up. */
  targetRatePerSecond: z.number().optional(),
  /** How busy the vertex would be at the target rate with its current parallelism. */
  utilizationAtTarget: z.number().optional(),
  /** Parallelism this vertex alone asks for (its current one while inside the dead band). */
  requiredParallelism: z.number().optional(),
});

/** How one vertex was evaluated. */
export type AutoscaleVertexEvaluation = z.output<typeof vertexEvaluationSchema>;

const inputsSchema = z.object({
  jobId: z.string(),
  observedAt: z.string(),
  jobState: z.string(),
  jobStartedAt: z.string(),
  currentParallelism: z.number(),
  /** The largest parallelism a vertex asks for, before bounds and alignment. */
  requiredParallelism: z.number().optional(),
  /** What a rescale would set now: the requirement within bounds and slots, key-group aligned. */
  candidateParallelism: z.number().optional(),
  bottleneckVertexId: z.string().optional(),
  pendingRecords: z.number().optional(),
  bounds: z.object({
    minParallelism: z.number(),
    maxParallelism: z.number(),
    /** Highest parallelism the most TaskManagers allowed can give this job, after other jobs' slots. */
    slotParallelism: z.number(),
    keyGroups: z.number().optional(),
  }),
  taskManagers: z.object({
    current: z.number(),
    max: z.number(),
    slotsEach: z.number(),
    /** TaskManagers the candidate parallelism needs, with the slots other jobs use. */
    needed: z.number().optional(),
  }),
  vertices: z.array(vertexEvaluationSchema),
});

/** The numbers a decision was made from, as recorded. */
export type AutoscaleInputs = z.output<typeof inputsSchema>;

/** The autoscaler's actions. */
export type AutoscaleAction = 'none' | 'scale-up' | 'scale-down';

const decisionItem = z.object({
  jobName: z.string(),
  decidedAt: z.string(),
  action: z.enum(['none', 'scale-up', 'scale-down']),
  parallelism: z.number(),
  reasons: z.array(reasonSchema),
  inputs: inputsSchema,
  expiresAtSeconds: z.number(),
});

/**
 * One autoscaler decision (autoscale decisions table, keys jobName + decidedAt), with every input
 * it was made from. Recording the same pass twice writes the same item.
 */
export type AutoscaleDecisionRecord = z.output<typeof decisionItem>;

/** A decisions-table item as an AutoscaleDecisionRecord; an item without that layout fails, naming it. */
export function parseAutoscaleDecisionRecord(
  item: Record<string, unknown>,
  table: string,
): AutoscaleDecisionRecord {
  return parseRecord(decisionItem, item, 'an autoscale decision record', {
    table,
    key: `jobName=${String(item.jobName)}, decidedAt=${String(item.decidedAt)}`,
  });
}
