import { describe, expect, it } from 'vitest';
import { sampleJobVariants, variantStatements } from '../../../bench/sample-job.js';

describe("the sample-job bench's peer", () => {
  const options = {
    jobName: 'bench',
    inputTopic: 'in',
    outputTopic: 'out',
    deadLetterTopic: 'dlq',
    groupId: 'g',
  };
  const [sample, peer] = sampleJobVariants;

  it("is the sample job's statements with only the input table swapped for Flink's json format", () => {
    const ours = variantStatements(sample, options);
    const theirs = variantStatements(peer, options);
    expect(theirs).toHaveLength(ours.length);
    const differing = ours.flatMap((statement, index) => (statement === theirs[index] ? [] : [index]));
    expect(differing).toHaveLength(1);
    const swapped = theirs[differing[0]!]!;
    expect(swapped).toMatch(/^CREATE TEMPORARY TABLE apphub_streaming_input/);
    expect(swapped).toContain("'format' = 'json'");
    expect(swapped).toContain("'topic' = 'in'");
    expect(ours[differing[0]!]).toContain("'format' = 'apphub-checked-json'");
  });

  it('keeps every column the rest of the sample job reads', () => {
    const swapped = variantStatements(peer, options).find((statement) =>
      statement.includes("'format' = 'json'"),
    )!;
    const rest = variantStatements(sample, options).filter(
      (statement) => !statement.includes('apphub_streaming_input ('),
    );
    for (const column of [
      'payload',
      'reject_reason',
      'source_partition',
      'source_offset',
      'user_id',
      'occurred_at',
    ])
      if (rest.some((statement) => statement.includes(column))) expect(swapped).toContain(column);
  });
});
