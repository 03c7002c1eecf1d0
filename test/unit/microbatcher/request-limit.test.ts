import {
  limitLakeRequests,
  processKafkaEvent,
  RequestLimit,
  S3_REQUESTS_IN_FLIGHT,
} from '@apphub/microbatcher';
import { describe, expect, it } from 'vitest';
import { aggregate, mskEvent } from '../../support/kafka-records.js';
import { fakeBatcherContext, fakeDescriptor } from '../fakes/batcher-context.js';
import { InMemoryLake } from '../fakes/in-memory-lake.js';
import { MeteredLake } from '../fakes/metered-lake.js';

/** Ingest writes hot parts; sealing reads and writes the rest of a window, and tags its hot parts. */
const phaseOf = (method: string, key: string) =>
  method === 'put' && key.includes('/hot/') ? 'ingest' : 'sealing';

/**
 * One batch on partition 0: 10 users in each of minutes 0-5, so 60 hot parts (one per window and
 * user cell), and minutes 0-4 sealed in the same invocation, each into 10 cells (sealed files,
 * symlink manifests) with its compacted part, manifest and 10 tags.
 */
function batchWithSealing(topic: string) {
  const records = [];
  for (let windowMinute = 0; windowMinute <= 5; windowMinute++) {
    for (let user = 0; user < 10; user++) {
      const offset = windowMinute * 10 + user;
      records.push(
        aggregate(topic, 0, offset, `u-${String(user).padStart(3, '0')}`, windowMinute, offset + 1),
      );
    }
  }
  return mskEvent(records);
}

describe('the S3 requests of an invocation', () => {
  it('share one limit, reached and never passed by ingest and sealing alike', async () => {
    // Prepare: a lake that counts its requests in flight, under a limit of 3.
    const descriptor = fakeDescriptor({ partitionKeys: ['user_id'] });
    const { context } = fakeBatcherContext([descriptor]);
    const lake = new MeteredLake(context.lake, phaseOf);

    // Act
    const summary = (
      await processKafkaEvent({ ...context, lake, s3RequestsInFlight: 3 }, batchWithSealing(descriptor.topic))
    )[descriptor.dataset];

    // Assess
    expect(summary).toMatchObject({ partsWritten: 60, windowsSealed: 5 });
    expect(lake.peak).toBe(3);
    expect(Object.fromEntries(lake.peakBy)).toEqual({ ingest: 3, sealing: 3 });
  });

  it(`default to ${S3_REQUESTS_IN_FLIGHT.defaultValue}, for sealing's several windows together too`, async () => {
    // Prepare
    const descriptor = fakeDescriptor({ partitionKeys: ['user_id'] });
    const { context } = fakeBatcherContext([descriptor]);
    const lake = new MeteredLake(context.lake, phaseOf);

    // Act: sealing compacts up to four windows at once, each with 12 writes and 10 tags.
    await processKafkaEvent({ ...context, lake }, batchWithSealing(descriptor.topic));

    // Assess
    expect(Object.fromEntries(lake.peakBy)).toEqual({
      ingest: S3_REQUESTS_IN_FLIGHT.defaultValue,
      sealing: S3_REQUESTS_IN_FLIGHT.defaultValue,
    });
  });

  it('are limited once per invocation, and only by a positive count', () => {
    const limited = limitLakeRequests(new InMemoryLake(), 2);

    expect(limitLakeRequests(limited, 5)).toBe(limited);
    expect(S3_REQUESTS_IN_FLIGHT.description).toMatch(/ingest and sealing together/);
    expect(() => new RequestLimit(0)).toThrow(RangeError);
  });
});
