import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CONSUMER_GROUP_ID_PATTERN,
  consumerGroupIdFor,
  decideAfterFailure,
  EVENT_SOURCE_SETTING_NAMES,
  type EventSourceSettings,
  eventSourceDefaults,
  eventSourceDescriptions,
  MINIMUM_OUTAGE_RIDE_OUT_SECONDS,
  OUTAGE_RESERVE_SECONDS,
  outageRideOutSeconds,
  parseEventSourceSettings,
  retryLimit,
} from '@apphub/microbatcher';
import { ConfigInvalidError } from '@apphub/platform';
import { describe, expect, it } from 'vitest';
import { parseAppConfig } from '../../../cdk/lib/config.js';
import { CDK_JSON, loadEventSourceSettings } from '../../../local/src/batcher/index.js';
import { cdkJsonContext } from '../../cdk/support/synthesize.js';

const enabled = { APPHUB_STREAMING_ENABLED: '1' };

/** A cdk.json with `context` in a fresh directory. */
function cdkJsonWith(context: Record<string, unknown>): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'apphub-cdk-json-')), 'cdk.json');
  writeFileSync(file, JSON.stringify({ app: 'npx tsx cdk/bin/app.ts', context }));
  return file;
}

const settings = (overrides: Partial<EventSourceSettings>): EventSourceSettings => ({
  ...eventSourceDefaults,
  ...overrides,
});

describe('the event source settings of the CDK and of npm run batcher', () => {
  it('are the same values: cdk.json as the CDK parses it and as the local runner loads it', () => {
    // Act
    const deployed = parseAppConfig(cdkJsonContext(), enabled).options.microBatcher.eventSource;
    const local = loadEventSourceSettings(CDK_JSON);

    // Assess
    expect(local).toEqual(deployed);
    expect(Object.keys(local).sort()).toEqual([...EVENT_SOURCE_SETTING_NAMES].sort());
  });

  it('default to the same object when nothing is configured', () => {
    expect(parseAppConfig({}, enabled).options.microBatcher.eventSource).toEqual(eventSourceDefaults);
    expect(loadEventSourceSettings(cdkJsonWith({}))).toEqual(eventSourceDefaults);
    expect(parseEventSourceSettings({}, 'nothing')).toEqual(eventSourceDefaults);
  });

  it('take the same apphub:* values (strings coerced as with -c) and leave other options to the CDK', () => {
    const context = {
      'apphub:batchSize': '250',
      'apphub:batchingWindowSeconds': 0,
      'apphub:retryAttempts': -1,
      'apphub:onFailureDestination': 'none',
      'apphub:startingPosition': 'LATEST',
      'apphub:maximumPollers': 4,
      'apphub:sealScheduleMinutes': 2,
    };

    const local = loadEventSourceSettings(cdkJsonWith(context));

    expect(local).toEqual(parseAppConfig(context, enabled).options.microBatcher.eventSource);
    expect(local).toEqual({
      ...eventSourceDefaults,
      batchSize: 250,
      batchingWindowSeconds: 0,
      retryAttempts: -1,
      onFailureDestination: 'none',
      startingPosition: 'LATEST',
      maximumPollers: 4,
    });
  });

  it('refuse the same bad values in one line naming the file and the setting', () => {
    const bad = { 'apphub:batchSize': 0 };

    expect(() => parseAppConfig(bad, enabled)).toThrow(/batchSize/);
    expect(() => loadEventSourceSettings(cdkJsonWith(bad))).toThrow(ConfigInvalidError);
    expect(() => loadEventSourceSettings(cdkJsonWith(bad))).toThrow(
      /^cdk\.json context \(apphub:\*\) is invalid: batchSize: /,
    );
    expect(() => loadEventSourceSettings(cdkJsonWith({ 'apphub:onFailureDestination': 'sqs' }))).toThrow(
      /onFailureDestination: expected "s3" or "none" \(an SQS or SNS destination would keep only offsets/,
    );
  });

  it('refuse a configuration that drops batches: no destination with a finite retry count', () => {
    const dropping = { 'apphub:onFailureDestination': 'none', 'apphub:retryAttempts': 3 };

    expect(() => parseAppConfig(dropping, enabled)).toThrow(
      /onFailureDestination: without a destination a batch whose retries run out is dropped/,
    );
    expect(() => loadEventSourceSettings(cdkJsonWith(dropping))).toThrow(
      /onFailureDestination: without a destination a batch whose retries run out is dropped/,
    );
    expect(() => parseEventSourceSettings({ minimumPollers: 3, maximumPollers: 2 }, 'pollers')).toThrow(
      /^pollers is invalid: minimumPollers: must not exceed maximumPollers$/,
    );
  });

  it('describe every setting', () => {
    expect(Object.keys(eventSourceDescriptions).sort()).toEqual([...EVENT_SOURCE_SETTING_NAMES].sort());
  });
});

describe('retries of a failed batch, as the event source mapping applies them', () => {
  // https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html: -1 retries until
  // the record expires; "When you configure both infinite retries and an on-failure destination,
  // Lambda automatically applies a maximum of 10 retry attempts."
  it('retries retryAttempts times, then sends the batch to the destination', () => {
    const three = settings({ retryAttempts: 3 });

    expect([1, 2, 3, 4].map((invocations) => decideAfterFailure(three, invocations, false).action)).toEqual([
      'retry',
      'retry',
      'retry',
      'send-to-destination',
    ]);
    expect(decideAfterFailure(settings({ retryAttempts: 0 }), 1, false)).toEqual({
      action: 'send-to-destination',
      condition: 'RetryAttemptsExhausted',
    });
  });

  it('caps infinite retries at 10 with a destination, and retries until the records expire without one', () => {
    const infiniteWithDestination = settings({ retryAttempts: -1 });
    const infiniteAlone = settings({ retryAttempts: -1, onFailureDestination: 'none' });

    expect(retryLimit(infiniteWithDestination)).toBe(10);
    expect(decideAfterFailure(infiniteWithDestination, 10, false).action).toBe('retry');
    expect(decideAfterFailure(infiniteWithDestination, 11, false).action).toBe('send-to-destination');
    expect(retryLimit(infiniteAlone)).toBe('until-records-expire');
    expect(decideAfterFailure(infiniteAlone, 1_000, false).action).toBe('retry');
    expect(decideAfterFailure(infiniteAlone, 2, true).action).toBe('drop-expired');
  });

  it('keeps records that expire during the retries when there is a destination', () => {
    expect(decideAfterFailure(settings({ retryAttempts: 5 }), 2, true).action).toBe('send-to-destination');
  });
});

describe('the consumer group of each event source mapping', () => {
  // https://docs.aws.amazon.com/lambda/latest/dg/kafka-consumer-group-id.html: "The consumer group ID
  // that you specify must be unique among all your Kafka event sources"; 1-200 characters of
  // [a-zA-Z0-9-/*:_+=.@] (API_AmazonManagedKafkaEventSourceConfig, API_SelfManagedKafkaEventSourceConfig).
  it('differs for every topic and every stack prefix, and names both', () => {
    const groups = ['AppHubStreaming', 'AppHubStaging'].flatMap((prefix) =>
      ['apphub.streaming.aggregates', 'apphub.billing.aggregates'].map((topic) =>
        consumerGroupIdFor(prefix, topic),
      ),
    );

    expect(new Set(groups).size).toBe(4);
    expect(consumerGroupIdFor('AppHubStreaming', 'apphub.streaming.aggregates')).toBe(
      'AppHubStreaming.micro-batcher.apphub.streaming.aggregates',
    );
    for (const group of groups) expect(group).toMatch(CONSUMER_GROUP_ID_PATTERN);
  });

  it('stays within 200 characters and unique for the longest names a prefix and a topic may have', () => {
    const prefix = `A${'b'.repeat(40)}`;
    const topicA = `${'t'.repeat(248)}a`;
    const topicB = `${'t'.repeat(248)}b`;

    const [a, b] = [consumerGroupIdFor(prefix, topicA), consumerGroupIdFor(prefix, topicB)];

    expect(a).toHaveLength(200);
    expect(a).toMatch(CONSUMER_GROUP_ID_PATTERN);
    expect(a).not.toBe(b);
    expect(consumerGroupIdFor(prefix, topicA)).toBe(a);
  });
});

describe('how long a batch rides out an S3 or DynamoDB outage', () => {
  it('is (1 + retries) invocations of the timeout less the reserve; infinite when retrying until expiry', () => {
    expect(outageRideOutSeconds(eventSourceDefaults, 300)).toBe(4 * (300 - OUTAGE_RESERVE_SECONDS));
    expect(outageRideOutSeconds(settings({ retryAttempts: -1 }), 300)).toBe(11 * 270);
    expect(outageRideOutSeconds(settings({ retryAttempts: -1, onFailureDestination: 'none' }), 60)).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('is at least five minutes with the defaults, and the synth refuses settings that ride out less', () => {
    const defaults = parseAppConfig({}, enabled).options;

    expect(
      outageRideOutSeconds(defaults.microBatcher.eventSource, defaults.microBatcher.timeoutSeconds),
    ).toBeGreaterThanOrEqual(MINIMUM_OUTAGE_RIDE_OUT_SECONDS);
    expect(() =>
      parseAppConfig({ 'apphub:retryAttempts': 0, 'apphub:microBatcherTimeoutSeconds': 120 }, enabled),
    ).toThrow(/retryAttempts: a batch would ride out only 90 s of S3 or DynamoDB outage/);
  });
});
