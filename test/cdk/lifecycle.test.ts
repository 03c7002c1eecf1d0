import { datasetRoot, parseDatasetDescriptor, sampleBatcherDescriptor } from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';
import { assertSelfContainedCheckpoints, renderEcsFlinkSettings } from '../../cdk/lib/flink-settings.js';
import { SEALED_PART_TAG } from '../../cdk/lib/stacks/storage-stack.js';
import { useSynthesized } from './support/synthesize.js';

/** The default deployment (cdk.json). */
const synthesized = useSynthesized();

interface Rule {
  Id: string;
  Status: string;
  Prefix?: string;
  TagFilters?: Array<{ Key: string; Value: string }>;
  ExpirationInDays?: number;
}

/** Lifecycle rules of the bucket whose logical id starts with `id`. */
function rulesOf(id: string): Rule[] {
  const template = synthesized().template(synthesized().stacks.storage);
  const [bucket] = Object.entries(template.findResources('AWS::S3::Bucket')).filter(([key]) =>
    key.startsWith(id),
  );
  expect(bucket, id).toBeDefined();
  return (bucket![1] as { Properties: { LifecycleConfiguration: { Rules: Rule[] } } }).Properties
    .LifecycleConfiguration.Rules;
}

const ecsSettings = () =>
  renderEcsFlinkSettings({
    namespace: 'apphubstreaming.internal',
    checkpointBucket: 'bucket',
    jobManagerMemoryMiB: 2048,
    taskManagerMemoryMiB: 4096,
  });

describe('retained checkpoints of jobs that no longer exist', () => {
  it('expire after checkpointExpirationDays', () => {
    expect(rulesOf('ApphubFlinkCheckpoints')).toContainEqual(
      expect.objectContaining({ Prefix: 'checkpoints/', ExpirationInDays: 14, Status: 'Enabled' }),
    );
  });

  // Expiring by age is safe only when every checkpoint writes all its files anew (full snapshots),
  // so the newest checkpoint of a running job is never older than its interval. Incremental
  // checkpoints (RocksDB/ForSt) and file merging share files between checkpoints, and the newest one
  // can reference files of any age:
  // https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/ops/state/large_state_tuning/#incremental-checkpoints
  // https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/ops/state/checkpoints/ (file merging)
  it('rest on full checkpoints: the ECS settings use the hashmap backend, not incremental, no file merging', () => {
    const settings = ecsSettings();

    expect(settings['state.backend.type']).toBe('hashmap');
    expect(settings['execution.checkpointing.incremental'] ?? 'false').toBe('false');
    expect(settings['execution.checkpointing.file-merging.enabled'] ?? 'false').toBe('false');
    expect(() => assertSelfContainedCheckpoints(settings)).not.toThrow();
  });

  it('fail the synth when the settings move to incremental RocksDB or file merging', () => {
    const incremental = {
      ...ecsSettings(),
      'state.backend.type': 'rocksdb',
      'execution.checkpointing.incremental': 'true',
    };

    expect(() => assertSelfContainedCheckpoints(incremental)).toThrow(/checkpointExpirationDays/);
    expect(() =>
      assertSelfContainedCheckpoints({
        ...ecsSettings(),
        'execution.checkpointing.file-merging.enabled': 'true',
      }),
    ).toThrow(/file-merging/);
  });
});

describe('hot parts of the data lake', () => {
  // A hot part is redundant only once its window is sealed and no later re-seal or hybrid read needs
  // it; only the micro-batcher knows that. S3 lifecycle filters by prefix and object tag:
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-filters.html
  it('expire only when tagged as sealed, never by age alone', () => {
    const rules = rulesOf('ApphubStreamingLake');
    const dataset = parseDatasetDescriptor(sampleBatcherDescriptor);
    const hot = `${datasetRoot(dataset)}/hot/`;

    expect(rules).toContainEqual(
      expect.objectContaining({
        Prefix: hot,
        TagFilters: [{ Key: SEALED_PART_TAG.key, Value: SEALED_PART_TAG.value }],
        ExpirationInDays: 7,
        Status: 'Enabled',
      }),
    );
    const untagged = rules.filter(
      (rule) =>
        (rule.TagFilters ?? []).length === 0 &&
        rule.ExpirationInDays !== undefined &&
        (rule.Prefix === undefined || hot.startsWith(rule.Prefix) || rule.Prefix.startsWith(hot)),
    );
    expect(untagged).toEqual([]);
  });

  // The micro-batcher tags covered parts (PutObjectTagging) and writes symlink manifests with
  // conditional PUTs after a HeadObject (GetObject permission; without ListBucket a missing key
  // answers 403 instead of 404): https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
  it('lets the micro-batcher tag hot parts and write symlink manifests in the lake', () => {
    const template = synthesized().template(synthesized().stacks.functions);
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .map(
        (resource) =>
          (resource as { Properties: { Roles: unknown; PolicyDocument: { Statement: Statement[] } } })
            .Properties,
      )
      .filter((policy) => JSON.stringify(policy.Roles).includes('MicroBatcher'))
      .flatMap((policy) => policy.PolicyDocument.Statement)
      .filter((statement) => JSON.stringify(statement.Resource).includes('StreamingLake'));
    const allowed = statements.flatMap((statement) => [statement.Action].flat());
    const grants = (action: string) =>
      allowed.some((pattern) => new RegExp(`^${pattern.replaceAll('*', '.*')}$`).test(action));

    for (const action of ['s3:PutObjectTagging', 's3:PutObject', 's3:GetObject', 's3:ListBucket']) {
      expect(grants(action), action).toBe(true);
    }
  });
});

interface Statement {
  Action: string | string[];
  Resource: unknown;
}
