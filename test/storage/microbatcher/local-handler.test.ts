import { readFileSync } from 'node:fs';
import { sampleBatcherDescriptor } from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';
import { loadLocalHandler } from '../../../local/src/batcher/local-handler.js';
import { endpoints } from '../helpers.js';

// Each handler is built from its own configuration by the function's createHandler. Setting the
// environment and importing the handler module would not do: ESM evaluates a module once per
// process, so a second configuration would be silently ignored and the first one's serve both.
const scheduledEvent = JSON.parse(
  readFileSync(new URL('../../fixtures/eventbridge/scheduled-event.json', import.meta.url), 'utf8'),
);

describe('loadLocalHandler', () => {
  it('builds two handlers with different descriptors in one process, each sealing its own datasets', async () => {
    // Prepare: two configurations that differ only in their descriptors.
    const clicks = { ...sampleBatcherDescriptor, dataset: 'clicks-1m', topic: 'it.clicks' };
    const orders = { ...sampleBatcherDescriptor, dataset: 'orders-1m', topic: 'it.orders' };
    const first = await loadLocalHandler(endpoints, {
      TIMESTORE_STREAMING_BATCHERS: JSON.stringify([clicks]),
    });
    const second = await loadLocalHandler(endpoints, {
      TIMESTORE_STREAMING_BATCHERS: JSON.stringify([orders, sampleBatcherDescriptor]),
    });

    // Act: the scheduled sealing pass runs over every dataset of the handler's own descriptors.
    const firstPass = await first.invoke(scheduledEvent);
    const secondPass = await second.invoke(scheduledEvent);

    // Assess
    expect(Object.keys(firstPass as object)).toEqual(['clicks-1m']);
    expect(Object.keys(secondPass as object)).toEqual(['orders-1m', 'user-activity-1m']);
    expect(first.usesSampleDescriptor).toBe(false);
    expect((await loadLocalHandler(endpoints, {})).usesSampleDescriptor).toBe(true);
  });
});
