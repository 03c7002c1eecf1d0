import { parseLocalEndpoints, platform } from '@apphub/platform';
import { describe, expect, it } from 'vitest';
import { integerOption, parseOptions } from '../../../local/src/cli/run-cli.js';
import { MAX_CELL_WIDTH, table } from '../../../local/src/cli/table.js';
import { CliArgumentInvalidError } from '../../../local/src/errors.js';
import { splitByMinute } from '../../../local/src/sample/produce.js';
import { renderSampleJob } from '../../../local/src/sample/submit.js';
import { newKafkaClusterId } from '../../../local/src/stack/config-files.js';
import { StackPrerequisiteMissingError } from '../../../local/src/stack/errors.js';
import { nativeFlinkSettings, stackPaths } from '../../../local/src/stack/index.js';
import { checkPrerequisites } from '../../../local/src/stack/prerequisites.js';

describe("parseOptions (node:util parseArgs over a command's option table)", () => {
  const options = {
    json: { type: 'boolean', description: 'JSON' },
    topic: { type: 'string', description: 'topic' },
    num: { type: 'string', short: 'n', description: 'count', default: '5' },
  } as const;

  it('reads values, booleans, short flags, defaults and positionals', () => {
    expect(parseOptions(options, ['status', '--json', '--topic', 't', '-n', '7', '--', '--literal'])).toEqual(
      {
        values: { json: true, topic: 't', num: '7' },
        positionals: ['status', '--literal'],
        help: false,
      },
    );
    expect(parseOptions(options, ['--topic=a=b'])).toEqual({
      values: { topic: 'a=b', num: '5' },
      positionals: [],
      help: false,
    });
    expect(parseOptions(options, ['-h']).help).toBe(true);
  });

  it('rejects an unknown flag, a missing value and a value given to a boolean, in one line naming the flag', () => {
    const failure = (args: string[]) => {
      try {
        parseOptions(options, args);
      } catch (error) {
        expect(error).toBeInstanceOf(CliArgumentInvalidError);
        return (error as Error).message;
      }
      throw new Error(`${args.join(' ')} was accepted`);
    };

    expect(failure(['--tpoic', 'x'])).toBe(
      'unknown option --tpoic; known options: --json, --topic, -n/--num, -h/--help',
    );
    expect(failure(['--topic'])).toBe('option --topic needs a value');
    expect(failure(['--topic', '--json'])).toBe('option --topic needs a value');
    expect(failure(['-n'])).toBe('option -n needs a value');
    expect(failure(['--json=yes'])).toBe('option --json takes no value');
  });

  it('reads integers, refusing anything else in one line naming the flag', () => {
    expect(integerOption('--count', '12', 1)).toBe(12);
    expect(() => integerOption('--count', '0', 1)).toThrow(/^--count must be an integer >= 1, got 0$/);
    expect(() => integerOption('--count', '1.5')).toThrow(/^--count must be an integer >= 0, got 1\.5$/);
    expect(() => integerOption('--count', '')).toThrow(CliArgumentInvalidError);
  });
});

describe('sample job template', () => {
  it('renders every variable of the shared template from platform defaults', () => {
    const statements = renderSampleJob();
    const sql = statements.join('\n');
    expect(sql).not.toMatch(/\$\{/);
    // Every Kafka table reaches the TLS listener with the local CA, as the MSK mode reaches MSK.
    for (const table of [
      'apphub_streaming_input',
      'apphub_streaming_aggregates',
      'apphub_streaming_dead_letters',
    ]) {
      const create = statements.find((statement) => statement.includes(`TABLE ${table} (`));
      expect(create, table).toContain(
        `'properties.bootstrap.servers' = '127.0.0.1:${platform.ports.kafkaTls}'`,
      );
      expect(create, table).toContain("'properties.security.protocol' = 'SSL'");
      expect(create, table).toContain("'properties.ssl.truststore.type' = 'PEM'");
      expect(create, table).toMatch(/'properties\.ssl\.truststore\.location' = '\/.+\/kafka\/tls\/ca\.pem'/);
    }
    expect(sql).toContain(`'topic' = '${platform.topics.input.name}'`);
    expect(sql).toContain(`'topic' = '${platform.topics.aggregates.name}'`);
    expect(sql).toContain("'connector' = 'upsert-kafka'");
    expect(sql).toContain(`INTERVAL '${platform.sampleJob.watermarkDelaySeconds}' SECOND`);
    expect(sql).toContain(
      `'scan.watermark.idle-timeout' = '${platform.sampleJob.sourceIdleTimeoutSeconds} s'`,
    );
    expect(sql).toContain(`'topic' = '${platform.topics.deadLetter.name}'`);
    // Aggregation and dead letters are one job: the statement set stays one statement.
    expect(statements.at(-1)).toMatch(
      /^EXECUTE STATEMENT SET\s+BEGIN\s+INSERT INTO apphub_streaming_aggregates[\s\S]*;\s*INSERT INTO apphub_streaming_dead_letters[\s\S]*END$/,
    );
  });
});

describe('native Flink settings', () => {
  it('bind every listener to loopback and keep the shared settings', () => {
    const settings = nativeFlinkSettings(stackPaths('/tmp/apphub-test-stack'), parseLocalEndpoints({}));
    for (const key of [
      'rest.bind-address',
      'jobmanager.bind-host',
      'taskmanager.bind-host',
      'sql-gateway.endpoint.rest.bind-address',
      'metrics.reporter.prom.host',
    ]) {
      expect(settings[key], key).toBe('127.0.0.1');
    }
    expect(settings['execution.checkpointing.dir']).toBe(
      `s3://${platform.storage.checkpointBucket}/checkpoints`,
    );
    expect(settings['s3.endpoint']).toBe(`http://127.0.0.1:${platform.ports.minio}`);
    expect(settings['execution.checkpointing.interval']).toBe('1 min');
    expect(settings['state.backend.type']).toBe(platform.flink.settings['state.backend.type']);
  });

  it('takes the checkpoint interval from APPHUB_FLINK_CHECKPOINT_INTERVAL', () => {
    const settings = nativeFlinkSettings(
      stackPaths('/tmp/x'),
      parseLocalEndpoints({ APPHUB_FLINK_CHECKPOINT_INTERVAL: '30 s' }),
    );
    expect(settings['execution.checkpointing.interval']).toBe('30 s');
  });
});

describe('checkPrerequisites', () => {
  it('names a missing tool and how to install it', () => {
    expect(() => checkPrerequisites(['apphub-no-such-tool'])).toThrow(StackPrerequisiteMissingError);
    expect(() => checkPrerequisites(['apphub-no-such-tool'])).toThrow(
      /^apphub-no-such-tool is not installed or not on PATH/,
    );
  });
});

describe('splitByMinute', () => {
  const at = (time: string) => ({
    event_id: time,
    user_id: 'u',
    event_type: 't',
    value: 1,
    occurred_at: time,
  });

  it('cuts where the latest minute of event time changes, keeping late events with the current run', () => {
    const runs = splitByMinute([
      at('2026-11-29T10:00:10.000Z'),
      at('2026-11-29T10:00:50.000Z'),
      at('2026-11-29T10:01:01.000Z'),
      at('2026-11-29T10:00:59.000Z'),
      at('2026-11-29T10:02:00.000Z'),
    ]);
    expect(runs.map((run) => run.map((event) => event.occurred_at.slice(14, 19)))).toEqual([
      ['00:10', '00:50'],
      ['01:01', '00:59'],
      ['02:00'],
    ]);
  });
});

describe('newKafkaClusterId', () => {
  it('draws again when the id would start with "-", which kafka-storage would read as an option', () => {
    // 0xf8 0x.. encodes to a leading '-' in URL-safe base64; the second draw is all zeros.
    const draws = [new Uint8Array(16).fill(0xf8), new Uint8Array(16)];
    const id = newKafkaClusterId(() => draws.shift() ?? new Uint8Array(16));
    expect(Buffer.from(new Uint8Array(16).fill(0xf8)).toString('base64url').startsWith('-')).toBe(true);
    expect(id).toBe('AAAAAAAAAAAAAAAAAAAAAA');
    expect(draws).toHaveLength(0);
  });

  it('is 22 URL-safe base64 characters', () => {
    for (let i = 0; i < 200; i += 1) expect(newKafkaClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});

describe("table (the CLIs' listings)", () => {
  it('shows every cell on one line and cuts a long one, so a job named after its SQL keeps the columns', () => {
    const sqlName = `SELECT a,\n  b\nFROM ${'t'.repeat(200)}`;
    const lines = table(
      ['NAME', 'STATE'],
      [
        [sqlName, 'FINISHED'],
        ['short', 'RUNNING'],
      ],
    ).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^SELECT a, b FROM t+… {2}FINISHED$/);
    expect(lines[1]!.indexOf('FINISHED')).toBe(MAX_CELL_WIDTH + 2);
    expect(lines[2]!.indexOf('RUNNING')).toBe(MAX_CELL_WIDTH + 2);
  });
});
