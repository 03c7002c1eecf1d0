import {
  parseBatcherDescriptors,
  parseDatasetDescriptor,
  sampleBatcherDescriptor,
  sampleBatchersJson,
} from '@apphub/microbatcher';
import { ConfigInvalidError } from '@apphub/platform';
import { describe, expect, it } from 'vitest';

describe('parseBatcherDescriptors', () => {
  it('parses the sample descriptor with defaults and durations in milliseconds', () => {
    const [descriptor] = parseBatcherDescriptors(sampleBatchersJson);
    expect(descriptor).toMatchObject({
      dataset: 'user-activity-1m',
      topic: 'apphub.streaming.aggregates',
      windowDuration: 600_000,
      allowedLateness: 120_000,
      idleTimeout: 60_000,
      prefix: 'streaming',
    });
    expect(descriptor?.schema.fields.every((field) => field.nullable === false)).toBe(true);
  });

  it('names the variable, the descriptor and the field in one line', () => {
    const bad = [
      sampleBatcherDescriptor,
      { ...sampleBatcherDescriptor, dataset: 'other', windowDuration: '10 minutes' },
    ];
    expect(() => parseBatcherDescriptors(JSON.stringify(bad))).toThrow(
      /^TIMESTORE_STREAMING_BATCHERS\[1\] \(dataset other\) is invalid: windowDuration: expected a duration/,
    );
  });

  it('rejects unknown keys, so a typo is an error', () => {
    expect(() =>
      parseDatasetDescriptor({ ...sampleBatcherDescriptor, partitionKey: ['user_id'] }, 'd'),
    ).toThrow(/^d is invalid: \(root\): Unrecognized key: "partitionKey"/);
  });

  it('checks that named fields exist and have a usable type', () => {
    const fields = [...sampleBatcherDescriptor.schema.fields];
    const check = (patch: object) => () =>
      parseDatasetDescriptor({ ...sampleBatcherDescriptor, ...patch }, 'd');
    expect(check({ timestampField: 'total_value' })).toThrow(
      /timestampField: "total_value" must have type timestamp/,
    );
    expect(check({ timestampField: 'ts' })).toThrow(/timestampField: "ts" is not a schema field/);
    expect(check({ partitionKeys: ['total_value'] })).toThrow(/partitionKeys\.0: "total_value" is a decimal/);
    expect(check({ upsertKey: ['user'] })).toThrow(/upsertKey\.0: "user" is not a schema field/);
    expect(check({ schema: { fields: [...fields, fields[0]] } })).toThrow(
      /schema\.fields: field names must be unique/,
    );
    expect(check({ schema: { fields: [...fields, { name: '_kafka_offset', type: 'int64' }] } })).toThrow(
      /schema\.fields\.5\.name: expected a column name/,
    );
  });

  it('rejects a missing, non-JSON, empty or duplicated list', () => {
    expect(() => parseBatcherDescriptors(undefined)).toThrow(ConfigInvalidError);
    expect(() => parseBatcherDescriptors('[{')).toThrow(/^TIMESTORE_STREAMING_BATCHERS is not valid JSON/);
    expect(() => parseBatcherDescriptors('[]')).toThrow(/non-empty JSON array/);
    expect(() =>
      parseBatcherDescriptors(JSON.stringify([sampleBatcherDescriptor, sampleBatcherDescriptor])),
    ).toThrow(/lists dataset user-activity-1m twice/);
  });
});
