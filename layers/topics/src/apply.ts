import type { TopicAdmin } from '@apphub/kafka-client';
import { TopicPartitionDecreaseError, TopicsNotConvergedError } from './errors.js';
import { planTopics, type TopicAction } from './plan.js';
import type { TopicSpec } from './spec.js';

/** What one run of the topic manager did. */
export interface TopicsApplied {
  /** The changes made, in order; empty when every topic already was as specified. */
  readonly actions: readonly TopicAction[];
  /** Topics that were already as specified. */
  readonly unchanged: readonly string[];
}

/**
 * Makes the cluster hold `desired` (observe, decide with planTopics, act) and returns once a fresh
 * observation finds nothing left to do, so a second run right after does nothing. A partition decrease
 * throws TopicPartitionDecreaseError before anything is changed. No topic is ever deleted.
 */
export async function applyTopics(
  admin: TopicAdmin,
  desired: readonly TopicSpec[],
  options: { readonly convergeTimeoutMs?: number } = {},
): Promise<TopicsApplied> {
  const names = desired.map((spec) => spec.name);
  const plan = planTopics(desired, await admin.observe(names));
  if (plan.kind === 'refuse') throw new TopicPartitionDecreaseError(plan.reason);
  const creations = plan.actions.flatMap((action) => (action.kind === 'create' ? [action.topic] : []));
  if (creations.length > 0) await admin.createTopics(creations);
  for (const action of plan.actions) {
    if (action.kind === 'add-partitions') await admin.addPartitions(action.name, action.to);
    if (action.kind === 'set-config') await admin.setTopicConfig(action.name, action.config);
  }
  if (plan.actions.length > 0) await converged(admin, desired, options.convergeTimeoutMs ?? 30_000);
  return { actions: plan.actions, unchanged: plan.unchanged };
}

/** Waits until the brokers report what was just written (their metadata follows the controller's shortly after). */
async function converged(admin: TopicAdmin, desired: readonly TopicSpec[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const plan = planTopics(desired, await admin.observe(desired.map((spec) => spec.name)));
    if (plan.kind === 'apply' && plan.actions.length === 0) return;
    if (Date.now() > deadline) {
      const left =
        plan.kind === 'refuse' ? plan.reason : plan.actions.map((action) => action.kind).join(', ');
      throw new TopicsNotConvergedError(
        `the topics did not reach their spec within ${timeoutMs / 1000} s of being changed (still to do: ${left})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
