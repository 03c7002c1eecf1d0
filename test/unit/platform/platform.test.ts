import {
  ConfigInvalidError,
  parseEnvironment,
  parseLocalEndpoints,
  platform,
  renderFlinkSettings,
  tables,
  toFlinkYaml,
  z,
} from '@apphub/platform';
import { describe, expect, it } from 'vitest';

describe('platform.json', () => {
  it('pins one Flink version and a Kafka connector built for it', () => {
    const [major, minor] = platform.versions.flink.split('.');
    expect(platform.versions.flinkKafkaConnector.endsWith(`-${major}.${minor}`)).toBe(true);
  });

  it('names the seed topics and the watermark table', () => {
    expect(platform.topics.input.name).toBe('apphub.streaming.input');
    expect(platform.topics.aggregates.name).toBe('apphub.streaming.aggregates');
    expect(tables.watermarks.tableName).toBe('streaming_watermarks');
    expect(platform.storage.checkpointBucket).toBe('apphub-flink-checkpoints');
  });

  it('checkpoints every minute by default, as the seed says', () => {
    expect(platform.flink.settings['execution.checkpointing.interval']).toBe('1 min');
  });
});

describe('renderFlinkSettings', () => {
  const environment = {
    jobManagerAddress: 'jm',
    restBindAddress: '0.0.0.0',
    checkpointDir: 's3://b/checkpoints',
    savepointDir: 's3://b/savepoints',
  };

  it('keeps every shared setting and adds the environment addresses and storage', () => {
    const settings = renderFlinkSettings(environment);
    for (const [key, value] of Object.entries(platform.flink.settings)) expect(settings[key]).toBe(value);
    expect(settings['jobmanager.rpc.address']).toBe('jm');
    expect(settings['execution.checkpointing.dir']).toBe('s3://b/checkpoints');
    expect(settings['taskmanager.numberOfTaskSlots']).toBe(String(platform.flink.taskSlots));
  });

  it('lets an environment override a setting', () => {
    const settings = renderFlinkSettings({
      ...environment,
      overrides: { 'execution.checkpointing.interval': '10 s' },
    });
    expect(settings['execution.checkpointing.interval']).toBe('10 s');
  });

  it('writes flat, unquoted YAML lines (the Flink image keeps quotes as part of a value)', () => {
    expect(toFlinkYaml({ a: '1 min', b: 'true', c: 's3://x/y' })).toBe('a: 1 min\nb: true\nc: s3://x/y\n');
  });

  it('rejects values that cannot be written unquoted, naming the key', () => {
    expect(() => toFlinkYaml({ 'env.java.opts': '"quoted"' })).toThrow(/env.java.opts/);
    expect(() => toFlinkYaml({ a: 'x # comment' })).toThrow(/cannot be written/);
    expect(() => toFlinkYaml({ a: ' padded' })).toThrow(/surrounding spaces/);
  });
});

describe('parseLocalEndpoints', () => {
  it('defaults to loopback addresses and platform ports', () => {
    const endpoints = parseLocalEndpoints({});
    expect(endpoints.brokers).toEqual([`127.0.0.1:${platform.ports.kafka}`]);
    expect(endpoints.flinkRestUrl).toBe(`http://127.0.0.1:${platform.ports.flinkRest}`);
    expect(endpoints.sqlGatewayUrl).toBe(`http://127.0.0.1:${platform.ports.sqlGateway}`);
    expect(endpoints.awsEndpointUrl).toBe('http://127.0.0.1:4566');
    expect(endpoints.taskManagers).toBe(2);
  });

  it('derives the REST URL from APPHUB_FLINK_UI_PORT and reads overrides', () => {
    const endpoints = parseLocalEndpoints({
      APPHUB_FLINK_UI_PORT: '18081',
      APPHUB_FLINK_TASKMANAGERS: '3',
      APPHUB_STREAM_BROKER_URL: 'a:1,b:2',
    });
    expect(endpoints.flinkRestUrl).toBe('http://127.0.0.1:18081');
    expect(endpoints.taskManagers).toBe(3);
    expect(endpoints.brokers).toEqual(['a:1', 'b:2']);
  });

  it('rejects a misspelt APPHUB_ variable in one line naming it', () => {
    expect(() => parseLocalEndpoints({ APPHUB_FLINK_REST_ULR: 'http://x' })).toThrow(ConfigInvalidError);
    expect(() => parseLocalEndpoints({ APPHUB_FLINK_REST_ULR: 'http://x' })).toThrow(
      /^environment is invalid: APPHUB_FLINK_REST_ULR is not a variable of this project[^\n]*$/,
    );
  });

  it('names the field of a bad value', () => {
    expect(() => parseLocalEndpoints({ APPHUB_FLINK_TASKMANAGERS: 'many' })).toThrow(
      /APPHUB_FLINK_TASKMANAGERS/,
    );
    expect(() => parseLocalEndpoints({ APPHUB_STREAM_BROKER_URL: 'no-port' })).toThrow(
      /APPHUB_STREAM_BROKER_URL: expected host:port/,
    );
  });
});

describe('parseEnvironment', () => {
  const schema = z.strictObject({
    APPHUB_FLINK_UI_PORT: z.coerce.number().int(),
    APPHUB_JOBS_TABLE: z.string().optional(),
    TIMESTORE_STREAMING_BATCHERS: z.string().optional(),
  });

  it("parses the schema's own variables, empty ones unset, and lets other components' pass", () => {
    const env = {
      APPHUB_FLINK_UI_PORT: '8081',
      APPHUB_DISRUPTIVE_TESTS: '1',
      APPHUB_JOBS_TABLE: '',
      TIMESTORE_STREAMING_BATCHERS: '[]',
      PATH: '/bin',
    };

    expect(parseEnvironment(schema, env, 'x')).toEqual({
      APPHUB_FLINK_UI_PORT: 8081,
      TIMESTORE_STREAMING_BATCHERS: '[]',
    });
  });

  it('rejects a name the project does not know in one line naming it, before parsing', () => {
    expect(() =>
      parseEnvironment(schema, { APPHUB_SAVEPIONT_MAX_COUNT: '3' }, 'control-plane environment'),
    ).toThrow(
      /^control-plane environment is invalid: APPHUB_SAVEPIONT_MAX_COUNT is not a variable of this project \(check the spelling; see README\)$/,
    );
    expect(() => parseEnvironment(schema, { APPHUB_FLINK_UI_PORT: 'x' }, 'x')).toThrow(
      /^x is invalid: APPHUB_FLINK_UI_PORT: /,
    );
  });

  it('refuses a schema naming an APPHUB_* variable the project does not list', () => {
    const unlisted = z.strictObject({ APPHUB_NOT_LISTED: z.string().optional() });

    expect(() => parseEnvironment(unlisted, {}, 'a process')).toThrow(
      'a process reads APPHUB_NOT_LISTED, missing from apphubVariableNames',
    );
  });
});
