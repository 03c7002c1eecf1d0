import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sampleBatcherDescriptor } from '@apphub/microbatcher';
import { METRIC_NAMESPACE, MetricName, SERVICE_DIMENSION } from '@apphub/observability';
import { ConfigInvalidError, platform } from '@apphub/platform';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { APP_OPTION_NAMES, parseAppConfig } from '../../cdk/lib/config.js';
import { kafkaSecurityOf } from '../../cdk/lib/kafka-access.js';
import { addStreamingStacks, PROJECT_ROOT } from '../../cdk/lib/streaming-app.js';
import { cdkJsonContext } from './support/synthesize.js';

const enabled = { APPHUB_STREAMING_ENABLED: '1' };

describe('parseAppConfig', () => {
  it('applies documented defaults derived from platform.json', () => {
    const config = parseAppConfig({}, enabled);

    expect(config.streamingEnabled).toBe(true);
    expect(config.options.kafka).toMatchObject({ mode: 'msk', kafkaVersion: platform.versions.mskKafka });
    expect(config.options.microBatcher.datasets.map((dataset) => dataset.topic)).toEqual([
      platform.topics.aggregates.name,
    ]);
    expect(config.options.microBatcher.batchers).toEqual([sampleBatcherDescriptor]);
    expect(config.options.flink.taskManager.count).toBe(platform.flink.taskManagers);
    expect(config.options.flink.taskManager.maxCount).toBe(2 * platform.flink.taskManagers);
  });

  it('is disabled unless APPHUB_STREAMING_ENABLED is 1, and the environment wins over the context', () => {
    expect(parseAppConfig({}, {}).streamingEnabled).toBe(false);
    expect(parseAppConfig({ APPHUB_STREAMING_ENABLED: '1' }, {}).streamingEnabled).toBe(true);
    expect(
      parseAppConfig({ APPHUB_STREAMING_ENABLED: '1' }, { APPHUB_STREAMING_ENABLED: '0' }).streamingEnabled,
    ).toBe(false);
    expect(() => parseAppConfig({}, { APPHUB_STREAMING_ENABLED: 'yes' })).toThrow(
      /environment APPHUB_STREAMING_ENABLED is invalid/,
    );
  });

  it('rejects an unknown option and names it', () => {
    expect(() => parseAppConfig({ 'apphub:batchSise': 10 }, enabled)).toThrow(ConfigInvalidError);
    expect(() => parseAppConfig({ 'apphub:batchSise': 10 }, enabled)).toThrow(/batchSise/);
  });

  it('coerces -c strings: numbers, comma lists and JSON batcher arrays', () => {
    const config = parseAppConfig(
      {
        'apphub:kafkaMode': 'existing',
        'apphub:kafkaBootstrapServers': 'b-1.example:9092, b-2.example:9092',
        'apphub:batchSize': '250',
        'apphub:batchers': JSON.stringify([{ ...sampleBatcherDescriptor, dataset: 'clicks' }]),
      },
      enabled,
    );

    expect(config.options.kafka).toMatchObject({
      mode: 'existing',
      bootstrapServers: ['b-1.example:9092', 'b-2.example:9092'],
    });
    expect(config.options.microBatcher.eventSource.batchSize).toBe(250);
    expect(config.options.microBatcher.datasets.map((dataset) => dataset.dataset)).toEqual(['clicks']);
  });

  it('collects cross-field problems into one error naming each field', () => {
    const attempt = () =>
      parseAppConfig(
        {
          'apphub:kafkaMode': 'existing',
          'apphub:vpcId': 'vpc-0abc',
          'apphub:taskManagerCount': 5,
          'apphub:taskManagerMaxCount': 3,
        },
        enabled,
      );

    expect(attempt).toThrow(/apphub:kafkaBootstrapServers: required when kafkaMode is existing/);
    expect(attempt).toThrow(
      /apphub:vpcAvailabilityZones: an imported VPC needs vpcId, vpcAvailabilityZones and vpcPrivateSubnetIds/,
    );
    expect(attempt).toThrow(
      /apphub:vpcPrivateSubnetIds: an imported VPC needs vpcId, vpcAvailabilityZones and vpcPrivateSubnetIds/,
    );
    expect(attempt).toThrow(
      /apphub:taskManagerMaxCount: expected taskManagerCount \(5\) <= taskManagerMaxCount \(3\)/,
    );
    expect(attempt).not.toThrow(/\n/);
  });

  it('refuses brokers in msk mode and a lifecycle shorter than the savepoint retention', () => {
    expect(() => parseAppConfig({ 'apphub:kafkaBootstrapServers': 'b:9092' }, enabled)).toThrow(
      /kafkaBootstrapServers: only valid when kafkaMode is existing/,
    );
    expect(() =>
      parseAppConfig({ 'apphub:savepointExpirationDays': 1, 'apphub:savepointMaxAgeHours': 48 }, enabled),
    ).toThrow(/savepointExpirationDays/);
  });

  it('derives how Kafka is reached from the mode, and refuses combinations the event source cannot use', () => {
    const existing = { 'apphub:kafkaMode': 'existing', 'apphub:kafkaBootstrapServers': 'b-1:9096' };
    const secret = {
      'apphub:kafkaSecretArn': 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:k-AbCdEf',
    };

    expect(kafkaSecurityOf(parseAppConfig({}, enabled).options.kafka)).toEqual({ protocol: 'SSL' });
    expect(kafkaSecurityOf(parseAppConfig(existing, enabled).options.kafka)).toEqual({
      protocol: 'PLAINTEXT',
    });
    expect(kafkaSecurityOf(parseAppConfig({ ...existing, ...secret }, enabled).options.kafka)).toMatchObject({
      protocol: 'SASL_SSL',
      mechanism: 'SCRAM-SHA-512',
    });
    // https://docs.aws.amazon.com/lambda/latest/dg/with-kafka-configure.html: no unauthenticated TLS among
    // the self-managed event source's methods; SASL/SCRAM needs its secret.
    expect(() => parseAppConfig({ ...existing, 'apphub:kafkaSecurityProtocol': 'SSL' }, enabled)).toThrow(
      /kafkaSecurityProtocol: SSL without SASL is not offered/,
    );
    expect(() =>
      parseAppConfig({ ...existing, 'apphub:kafkaSecurityProtocol': 'SASL_SSL' }, enabled),
    ).toThrow(/kafkaSecretArn: required with kafkaSecurityProtocol SASL_SSL/);
    expect(() =>
      parseAppConfig({ ...existing, ...secret, 'apphub:kafkaSecurityProtocol': 'PLAINTEXT' }, enabled),
    ).toThrow(/kafkaSecretArn: only valid with kafkaSecurityProtocol SASL_SSL/);
    expect(() => parseAppConfig({ 'apphub:kafkaSecurityProtocol': 'PLAINTEXT' }, enabled)).toThrow(
      /kafkaSecurityProtocol: only valid when kafkaMode is existing/,
    );
  });

  it("takes the options of one Kafka mode only, and a profile's MSK sizes only with MSK", () => {
    const existing = { 'apphub:kafkaMode': 'existing', 'apphub:kafkaBootstrapServers': 'b-1:9092' };

    expect(() => parseAppConfig({ ...existing, 'apphub:mskBrokerNodes': 4 }, enabled)).toThrow(
      /apphub:mskBrokerNodes: only valid when kafkaMode is msk/,
    );
    expect(parseAppConfig({ ...existing, 'apphub:profile': 'dev' }, enabled).options.kafka).toEqual({
      mode: 'existing',
      bootstrapServers: ['b-1:9092'],
      security: { protocol: 'PLAINTEXT' },
    });
  });

  it("takes a created VPC's options only without an imported VPC, and a profile's only where they apply", () => {
    const imported = {
      'apphub:vpcId': 'vpc-0abc',
      'apphub:vpcAvailabilityZones': 'eu-west-1a,eu-west-1b',
      'apphub:vpcPrivateSubnetIds': 'subnet-1,subnet-2',
    };

    expect(() => parseAppConfig({ ...imported, 'apphub:natGateways': 2 }, enabled)).toThrow(
      /apphub:natGateways: only valid for a VPC the stack creates/,
    );
    expect(() => parseAppConfig({ ...imported, 'apphub:vpcPrivateSubnetIds': 'subnet-1' }, enabled)).toThrow(
      /apphub:vpcPrivateSubnetIds: expected one private subnet per availability zone/,
    );
    expect(parseAppConfig({ ...imported, 'apphub:profile': 'dev' }, enabled).options.vpc).toEqual({
      kind: 'imported',
      id: 'vpc-0abc',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-1', 'subnet-2'],
    });
  });

  it('places every option: an invalid value of each is reported under its own apphub: key', () => {
    // The branch each option needs, so that the option is one of the chosen side.
    const existingKafka = { 'apphub:kafkaMode': 'existing', 'apphub:kafkaBootstrapServers': 'b-1:9092' };
    const importedVpc = {
      'apphub:vpcId': 'vpc-0abc',
      'apphub:vpcAvailabilityZones': 'eu-west-1a',
      'apphub:vpcPrivateSubnetIds': 'subnet-1',
    };
    const branchOf = (name: string) =>
      ['kafkaBootstrapServers', 'kafkaSecretArn', 'kafkaSecurityProtocol'].includes(name)
        ? existingKafka
        : ['vpcId', 'vpcAvailabilityZones', 'vpcPrivateSubnetIds'].includes(name)
          ? importedVpc
          : {};

    for (const name of APP_OPTION_NAMES) {
      const attempt = () =>
        parseAppConfig({ ...branchOf(name), [`apphub:${name}`]: { notAValue: true } }, enabled);

      expect(attempt, name).toThrow(ConfigInvalidError);
      expect(attempt, name).toThrow(new RegExp(`(apphub:${name}[:.\\[]|apphub:${name} is invalid)`));
      expect(attempt, name).not.toThrow(
        new RegExp(`apphub:${name}: (not an option|only valid|Unrecognized key)`),
      );
    }
  });

  it("checks batcher descriptors with the micro-batcher's own parser at synth time", () => {
    const bad = [{ ...sampleBatcherDescriptor, timestampField: 'user_id' }];

    expect(() => parseAppConfig({ 'apphub:batchers': bad }, enabled)).toThrow(
      /CDK context apphub:batchers\[0\] \(dataset user-activity-1m\) is invalid: timestampField/,
    );
    expect(() => parseAppConfig({ 'apphub:batchers': [] }, enabled)).toThrow(/non-empty JSON array/);
  });

  it('rejects out-of-range event source settings', () => {
    expect(() => parseAppConfig({ 'apphub:batchingWindowSeconds': 301 }, enabled)).toThrow(
      /batchingWindowSeconds/,
    );
    expect(() => parseAppConfig({ 'apphub:retryAttempts': -2 }, enabled)).toThrow(/retryAttempts/);
  });

  it('accepts the options in cdk.json', () => {
    expect(parseAppConfig(cdkJsonContext(), {}).streamingEnabled).toBe(true);
  });
});

describe('docs/deploy.md', () => {
  const docs = readFileSync(path.join(PROJECT_ROOT, 'docs', 'deploy.md'), 'utf8');

  it('documents every option', () => {
    const undocumented = APP_OPTION_NAMES.filter((name) => !docs.includes(`\`${name}\``));

    expect(undocumented).toEqual([]);
  });

  it('names every metric the alarms read, in the namespace and dimension they use', () => {
    for (const name of [METRIC_NAMESPACE, SERVICE_DIMENSION, ...Object.values(MetricName)]) {
      expect(docs, name).toContain(`\`${name}\``);
    }
  });
});

describe('the enable flag', () => {
  it('creates no stacks when disabled', () => {
    const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'apphub-cdk-off-')) });

    const stacks = addStreamingStacks(app, parseAppConfig({}, {}));

    expect(stacks).toBeUndefined();
    expect(app.synth().stacks).toEqual([]);
  });

  it('makes `cdk synth` say so and write no template when APPHUB_STREAMING_ENABLED=0', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'apphub-cdk-bin-'));

    const run = spawnSync('npx', ['tsx', 'cdk/bin/app.ts'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: { ...process.env, APPHUB_STREAMING_ENABLED: '0', CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: '{}' },
    });

    expect(run.status).toBe(0);
    expect(run.stderr).toContain('APPHUB_STREAMING_ENABLED is not 1: no streaming stacks were synthesized.');
    expect(readdirSync(outdir).filter((file) => file.endsWith('.template.json'))).toEqual([]);
  });

  it('fails the synth with one line naming a bad option', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'apphub-cdk-bad-'));

    const run = spawnSync('npx', ['tsx', 'cdk/bin/app.ts'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        APPHUB_STREAMING_ENABLED: '1',
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ 'apphub:kafkaMode': 'kinesis' }),
      },
    });

    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/CDK context is invalid: apphub:kafkaMode: expected "msk" or "existing"/);
    expect(existsSync(path.join(outdir, 'manifest.json'))).toBe(false);
  });
});
