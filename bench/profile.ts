import type { Profiler } from 'node:inspector';

/** Where a handler's CPU time goes, in the order the bench prints them. */
export const costCategories = [
  'decode',
  'encode',
  'compaction',
  'storage requests',
  'garbage collection',
  'other',
] as const;
export type CostCategory = (typeof costCategories)[number];

/** What each category covers, for the bench's table. */
export const costCategoryDetails: Readonly<Record<CostCategory, string>> = {
  decode: 'Kafka event (base64) and records (JSON) to rows',
  encode: 'grouping rows into hot parts, their Parquet encoding',
  compaction: 'sealing: upsert compaction, compacted part and sealed files encoded',
  'storage requests': 'AWS SDK and HTTP: S3 puts/tags, DynamoDB updates and queries',
  'garbage collection': 'V8 garbage collector',
  other: 'logging, metrics, promises, the rest',
};

/**
 * The first rule a sample's stack matches names its category; storage comes first because SDK calls
 * made from sealing code are requests, not compaction, and sealing before encode because the sealed
 * files' encoding is part of compaction.
 */
const rules: readonly { readonly category: CostCategory; readonly test: RegExp }[] = [
  { category: 'storage requests', test: /@smithy|@aws-sdk|node:_http|node:net|node:tls|node:dns/ },
  { category: 'compaction', test: /microbatcher\/src\/(sealing|window-records)\.ts|latestRecords/ },
  { category: 'encode', test: /layers\/parquet\/|apache-arrow|parquet-wasm|^wasm:|groupIntoParts/ },
  { category: 'decode', test: /kafka-event\/src\/decode\.ts|microbatcher\/src\/records\.ts/ },
];

/** Shares (0..1) of the busy samples of `profile` per category (idle time and the profiler's own left out). */
export function categorizeProfile(profile: Profiler.Profile): Record<CostCategory, number> {
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const categoryOf = new Map<number, CostCategory | 'idle'>();
  // Starting and stopping the profiler is sampled too; it is no part of the handler's cost.
  const profilerFrame = (id: number): boolean => {
    for (let current: number | undefined = id; current !== undefined; current = parents.get(current))
      if (nodes.get(current)!.callFrame.url === 'node:inspector') return true;
    return false;
  };
  const classify = (id: number): CostCategory | 'idle' => {
    const leaf = nodes.get(id)!.callFrame.functionName;
    if (leaf === '(idle)') return 'idle';
    if (profilerFrame(id)) return 'idle';
    if (leaf === '(garbage collector)') return 'garbage collection';
    for (let current: number | undefined = id; current !== undefined; current = parents.get(current)) {
      const frame = nodes.get(current)!.callFrame;
      const where = `${frame.url} ${frame.functionName}`;
      for (const rule of rules) if (rule.test.test(where)) return rule.category;
    }
    return 'other';
  };
  const time = Object.fromEntries(costCategories.map((category) => [category, 0])) as Record<
    CostCategory,
    number
  >;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (const [index, id] of samples.entries()) {
    if (!categoryOf.has(id)) categoryOf.set(id, classify(id));
    const category = categoryOf.get(id)!;
    if (category !== 'idle') time[category] += deltas[index] ?? 0;
  }
  const total = Object.values(time).reduce((sum, value) => sum + value, 0) || 1;
  for (const category of costCategories) time[category] /= total;
  return time;
}
