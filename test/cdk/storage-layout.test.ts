import {
  datasetRoot,
  deadLetterKey,
  parseDatasetDescriptor,
  sampleBatcherDescriptor,
} from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';
import { deadLetterPrefix } from '../../cdk/lib/stacks/storage-stack.js';

describe('deadLetterPrefix', () => {
  it("covers every key the micro-batcher writes a dataset's dead letters to, and nothing else of the dataset", () => {
    const descriptor = parseDatasetDescriptor({ ...sampleBatcherDescriptor, prefix: 'lake/streaming' });
    const key = deadLetterKey(datasetRoot(descriptor), { topic: 'clicks.raw', partition: 2, offset: 4711 });

    expect(key.startsWith(deadLetterPrefix(descriptor))).toBe(true);
    expect(deadLetterPrefix(descriptor)).toBe(`lake/streaming/${descriptor.dataset}/dead-letter/`);
  });
});
