import type { BatcherContext, DatasetDescriptorInput } from '@apphub/microbatcher';
import { createLogger } from '@apphub/observability';
import { base, minute, testDescriptor } from '../../support/kafka-records.js';
import { InMemoryLake } from './in-memory-lake.js';
import { InMemoryWatermarkStore } from './in-memory-watermark-store.js';

/** A descriptor of the sample's shape with a unique `unit-` slug, 1-minute windows, no lateness. */
export function fakeDescriptor(overrides: Partial<DatasetDescriptorInput> = {}) {
  return testDescriptor(overrides, 'unit');
}

/** A micro-batcher context on an in-memory lake and store, with a settable clock and captured logs. */
export function fakeBatcherContext(descriptors: BatcherContext['descriptors'], start = base + 10 * minute) {
  const lake = new InMemoryLake();
  const store = new InMemoryWatermarkStore();
  const clock = { now: start };
  const logs: Record<string, unknown>[] = [];
  const context: BatcherContext = {
    descriptors,
    lake,
    store,
    logger: createLogger('micro-batcher-unit', { sink: (line) => logs.push(JSON.parse(line)) }),
    // No metrics object: nothing is recorded (the sealing logic is what these tests read).
    now: () => clock.now,
  };
  return { context, lake, store, clock, logs };
}
