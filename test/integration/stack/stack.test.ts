import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SqlGatewayClient } from '@apphub/flink';
import { platform, tables } from '@apphub/platform';
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  componentProcess,
  getJson,
  logFile,
  programStates,
  repoRoot,
  stackDown,
  stackPaths,
  stackUp,
} from '../../../local/src/stack/index.js';
import { aws, endpoints, eventually, kafka, uniqueName } from '../helpers.js';

const exec = promisify(execFile);

describe('native local stack', () => {
  it('produces and consumes on both sample topics', async () => {
    const marker = uniqueName('stack-check');
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    try {
      for (const topic of [platform.topics.input.name, platform.topics.aggregates.name]) {
        const before = await admin.fetchTopicOffsets(topic);
        expect(before).toHaveLength(3);
        const [sent] = await producer.send({
          topic,
          acks: -1,
          messages: [{ key: marker, value: JSON.stringify({ marker }), partition: 0 }],
        });
        const consumer = kafka.consumer({ groupId: uniqueName('stack-test') });
        await consumer.connect();
        try {
          await consumer.subscribe({ topic, fromBeginning: false });
          const received = new Promise<string>((resolve) => {
            void consumer.run({
              eachMessage: async ({ message }) => {
                if (message.key?.toString() === marker) resolve(message.value!.toString());
              },
            });
          });
          // Seek to the record just written, so the test does not depend on what else is in the topic.
          await eventually('consumer assignment', async () => {
            consumer.seek({ topic, partition: 0, offset: sent!.baseOffset! });
            return true;
          });
          expect(JSON.parse(await received)).toEqual({ marker });
        } finally {
          await consumer.disconnect();
        }
      }
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('creates the sample topics with 3 partitions and their retention', async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const configs = await admin.describeConfigs({
        includeSynonyms: false,
        resources: Object.values(platform.topics).map((topic) => ({
          type: 2,
          name: topic.name,
          configNames: ['retention.ms'],
        })),
      });
      for (const topic of Object.values(platform.topics)) {
        const resource = configs.resources.find((r) => r.resourceName === topic.name);
        expect(resource?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue).toBe(
          String(topic.retentionMs),
        );
      }
    } finally {
      await admin.disconnect();
    }
  });

  it('shows registered TaskManagers and free slots on the JobManager', async () => {
    const overview = await getJson<{
      taskmanagers: number;
      'slots-total': number;
      'slots-available': number;
    }>(`${endpoints.flinkRestUrl}/overview`);
    expect(overview?.taskmanagers).toBe(endpoints.taskManagers);
    expect(overview?.['slots-total']).toBe(endpoints.taskManagers * platform.flink.taskSlots);
    expect(overview?.['slots-available']).toBeGreaterThanOrEqual(0);
  });

  it('runs a query through a SQL Gateway session and returns its rows', async () => {
    const gateway = new SqlGatewayClient({ baseUrl: endpoints.sqlGatewayUrl });
    const session = await gateway.openSession({ 'execution.runtime-mode': 'batch' }, 'stack-test');
    try {
      const result = await gateway.runStatement(session, "SELECT 40 + 2 AS answer, 'apphub' AS name");
      expect(result.columns).toEqual(['answer', 'name']);
      expect(result.rows).toEqual([[42, 'apphub']]);
    } finally {
      await gateway.closeSession(session);
    }
  });

  it('serves S3 put/get and DynamoDB conditional writes on the AWS endpoint', async () => {
    const key = `stack-test/${uniqueName('object')}.txt`;
    await aws.s3.send(
      new PutObjectCommand({ Bucket: platform.storage.dataLakeBucket, Key: key, Body: 'hello lake' }),
    );
    const got = await aws.s3.send(
      new GetObjectCommand({ Bucket: platform.storage.dataLakeBucket, Key: key }),
    );
    expect(await got.Body?.transformToString()).toBe('hello lake');

    const item = { pk: { S: uniqueName('stack-test') }, sk: { S: 'partition#0' }, offset: { N: '10' } };
    const put = (offset: string) =>
      aws.dynamodb.send(
        new PutItemCommand({
          TableName: tables.watermarks.tableName,
          Item: { ...item, offset: { N: offset } },
          ConditionExpression: 'attribute_not_exists(pk) OR #offset < :offset',
          ExpressionAttributeNames: { '#offset': 'offset' },
          ExpressionAttributeValues: { ':offset': { N: offset } },
        }),
      );
    await put('10');
    await put('20');
    await expect(put('15')).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  it('keeps S3 (MinIO) and DynamoDB (moto) contents when their processes are stopped and started again', async () => {
    const key = `stack-test/${uniqueName('kept')}.txt`;
    const item = { pk: { S: uniqueName('stack-kept') }, sk: { S: 'partition#0' } };
    await aws.s3.send(
      new PutObjectCommand({
        Bucket: platform.storage.dataLakeBucket,
        Key: key,
        Body: 'kept across restarts',
      }),
    );
    await aws.dynamodb.send(new PutItemCommand({ TableName: tables.watermarks.tableName, Item: item }));
    const storage = ['minio', 'dynamodb'];
    const before = await Promise.all(storage.map((name) => componentProcess(name)));

    const quiet = { progress: { step: () => {}, detail: () => {} } };
    await stackDown({ ...quiet, only: storage });
    const status = await stackUp({ ...quiet, only: storage });
    for (const [index, name] of storage.entries()) {
      expect(status.components.find((c) => c.component === name)?.healthy, name).toBe(true);
      expect((await componentProcess(name))?.pid, name).not.toBe(before[index]?.pid);
    }

    const got = await aws.s3.send(
      new GetObjectCommand({ Bucket: platform.storage.dataLakeBucket, Key: key }),
    );
    expect(await got.Body?.transformToString()).toBe('kept across restarts');
    const kept = await aws.dynamodb.send(
      new GetItemCommand({ TableName: tables.watermarks.tableName, Key: item, ConsistentRead: true }),
    );
    expect(kept.Item).toEqual(item);
  });

  it('never starts duplicates when local:up runs again', async () => {
    const pids = async () =>
      Object.fromEntries([...(await programStates(stackPaths())).values()].map((p) => [p.name, p.pid]));
    const before = await pids();
    const status = await stackUp({ progress: { step: () => {}, detail: () => {} } });
    expect(status.healthy).toBe(true);
    expect(await pids()).toEqual(before);
  });

  it('refuses to start over a port held by a process it did not start, naming port and process', async () => {
    const cli = path.join(repoRoot, 'local/src/cli/stack.ts');
    const otherStack = mkdtempSync(path.join(tmpdir(), 'apphub-other-stack-'));
    const result = await exec(path.join(repoRoot, 'node_modules/.bin/tsx'), [cli, 'up'], {
      cwd: repoRoot,
      env: { ...process.env, APPHUB_STACK_DIR: otherStack },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    // The other stack's supervisord started before the refusal; it must not outlive the test.
    await stackDown({ paths: stackPaths(otherStack), progress: { step: () => {}, detail: () => {} } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: port \d+ needed by [a-z-]+ is already in use by pid \d+ \(\S+\)/m);
    expect((await programStates(stackPaths(otherStack))).size).toBe(0);
  });

  it('restarts a killed TaskManager by itself, under a new resource id and RPC address', async () => {
    const victim = `taskmanager-${endpoints.taskManagers}`;
    const killed = await componentProcess(victim);
    expect(killed?.resourceId).toMatch(new RegExp(`^${victim}-[0-9a-f]{6}$`));
    const rpcAddress = async (resourceId: string | undefined) =>
      (
        await getJson<{ taskmanagers: { id: string; path: string }[] }>(
          `${endpoints.flinkRestUrl}/taskmanagers`,
        )
      )?.taskmanagers.find((tm) => tm.id === resourceId)?.path;
    const killedAddress = await rpcAddress(killed!.resourceId);
    expect(killedAddress).toMatch(/^pekko\.tcp:\/\/flink@127\.0\.0\.1:\d+\//);
    process.kill(killed!.pid, 'SIGKILL');

    // Nothing is started by the test: supervisord restarts the process, and it registers again.
    const restarted = await eventually(
      'supervisord to restart the TaskManager and Flink to register it',
      async () => {
        const now = await componentProcess(victim);
        if (!now || now.pid === killed!.pid || now.state !== 'RUNNING') return undefined;
        return (await rpcAddress(now.resourceId)) ? now : undefined;
      },
      120_000,
    );
    // Healthy means registered under its own new resource id, not the dead process's stale entry ...
    expect(restarted.resourceId).toMatch(new RegExp(`^${victim}-[0-9a-f]{6}$`));
    expect(restarted.resourceId).not.toBe(killed!.resourceId);
    // ... and at a new RPC address: the JobManager drops messages from the dead one's address.
    expect(await rpcAddress(restarted.resourceId)).not.toBe(killedAddress);
    // The JobManager drops the dead one at its heartbeat timeout; later tests must not get its slots.
    await eventually(
      'the JobManager to drop the killed TaskManager',
      async () => {
        const ids = (
          await getJson<{ taskmanagers: { id: string }[] }>(`${endpoints.flinkRestUrl}/taskmanagers`)
        )?.taskmanagers.map((tm) => tm.id);
        return ids && !ids.includes(killed!.resourceId!) && ids.includes(restarted.resourceId!)
          ? true
          : undefined;
      },
      120_000,
    );
  });

  it('writes the log of every JVM through Log4j into its log file', async () => {
    const expected: Record<string, RegExp> = {
      jobmanager: /INFO .*Starting StandaloneSessionClusterEntrypoint \(Version: /,
      'taskmanager-1': /INFO .*Starting TaskManager \(Version: /,
      'sql-gateway': /INFO .*Rest endpoint listening at /,
      kafka: /INFO .*\[KafkaRaftServer nodeId=\d+\] Kafka Server started/,
    };
    for (const [component, line] of Object.entries(expected)) {
      const log = readFileSync(logFile(stackPaths(), component), 'utf8');
      // An slf4j API without its binding silently drops every log line; that must never ship again.
      expect(log, component).not.toContain('Defaulting to no-operation (NOP) logger');
      expect(log, component).toMatch(line);
    }
  });
});
