import type { AutoscaleDecisionRecord, AutoscaleDecisionStore } from '@apphub/control-plane';

/**
 * The autoscale decisions table in memory, with the DynamoDB store's semantics: one item per job and
 * decision time (a second put replaces it), reads newest first, and what is read back is a copy
 * without undefined attributes, as the document client returns it. The same contract suite runs
 * against this fake and against DynamoDB (test/support/autoscale-decision-store-contract.ts).
 */
export class InMemoryAutoscaleDecisionStore implements AutoscaleDecisionStore {
  private readonly items = new Map<string, Map<string, string>>();

  async put(record: AutoscaleDecisionRecord): Promise<void> {
    const job = this.items.get(record.jobName) ?? new Map<string, string>();
    job.set(record.decidedAt, JSON.stringify(record));
    this.items.set(record.jobName, job);
  }

  async since(jobName: string, since: number): Promise<AutoscaleDecisionRecord[]> {
    const from = new Date(since).toISOString();
    return this.newestFirst(jobName, (decidedAt) => decidedAt >= from);
  }

  async latest(jobName: string, limit: number): Promise<AutoscaleDecisionRecord[]> {
    return this.newestFirst(jobName).slice(0, limit);
  }

  private newestFirst(
    jobName: string,
    keep: (decidedAt: string) => boolean = () => true,
  ): AutoscaleDecisionRecord[] {
    return [...(this.items.get(jobName)?.entries() ?? [])]
      .filter(([decidedAt]) => keep(decidedAt))
      .sort(([a], [b]) => b.localeCompare(a))
      .map(([, item]) => JSON.parse(item) as AutoscaleDecisionRecord);
  }
}
