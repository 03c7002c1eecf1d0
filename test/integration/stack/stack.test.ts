import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { FlinkRestClient, SqlGatewayClient } from '@apphub/flink';
import { platform, tables } from '@apphub/platform';
import {
  ConditionalCheckFailedException,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
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
    for (const topic of [platform.topics.input.name, platform.topics.aggregates.name]) {
      // Read from the end as it was before the record, so the test does not depend on what else is in the topic.
      const from = new Map([[0, (await kafka.endOffsets(topic)).get(0)!]]);
      await kafka.produce(topic, [{ key: marker, value: JSON.stringify({ marker }), partition: 0 }]);
      let received: string | null = null;
      const found = await kafka.readUntil(
        topic,
        from,
        (record) => {
          if (record.key !== marker) return false;
          received = record.value;
          return true;
        },
        Date.now() + 30_000,
      );
      expect(found, topic).toBe(true);
      expect(JSON.parse(received ?? 'null')).toEqual({ marker });
    }
  });

  it('creates every topic of infra/platform.json with its partitions and retention', async () => {
    const { topics } = await kafka.observe(Object.values(platform.topics).map((topic) => topic.name));
    for (const topic of Object.values(platform.topics)) {
      const observed = topics.find((each) => each.name === topic.name);
      expect(observed?.config['retention.ms'], topic.name).toBe(String(topic.retentionMs));
      expect(observed?.partitions, topic.name).toBe(topic.partitions);
    }
  });

  it('registers APPHUB_FLINK_TASKMANAGERS TaskManagers (default 2), its own processes, of flink.taskSlots slots each', async () => {
    // Prepare: the count the environment asks for, and the resource ids the stack's processes registered under.
    const flink = new FlinkRestClient({ baseUrl: endpoints.flinkRestUrl });
    const expected = endpoints.taskManagers;
    const processes = await Promise.all(
      Array.from({ length: expected }, (_, index) => componentProcess(`taskmanager-${index + 1}`)),
    );

    // Act
    const overview = await flink.overview();
    const registered = await flink.taskManagers();

    // Assess
    expect(overview.taskManagers).toBe(expected);
    expect(overview.slotsTotal).toBe(expected * platform.flink.taskSlots);
    expect(registered.map((tm) => tm.id).sort()).toEqual(processes.map((p) => p?.resourceId).sort());
    expect(registered.map((tm) => tm.slots)).toEqual(registered.map(() => platform.flink.taskSlots));
  });

  it('has every slot free but those the running jobs hold', async () => {
    // A job takes as many slots as its largest parallelism (Flink's default slot sharing); a job being
    // deployed or restarted holds some of them only for a moment, so the count must settle.
    const flink = new FlinkRestClient({ baseUrl: endpoints.flinkRestUrl });
    const accounts = async () => {
      const running = (await flink.jobs()).filter((job) => job.state === 'RUNNING');
      const held = (await Promise.all(running.map((job) => flink.job(job.id)))).reduce(
        (sum, job) => sum + (job.parallelism ?? 0),
        0,
      );
      const overview = await flink.overview();
      const free = (await flink.taskManagers()).reduce((sum, tm) => sum + tm.freeSlots, 0);
      return { available: overview.slotsAvailable, free, expected: overview.slotsTotal - held };
    };
    let last: Awaited<ReturnType<typeof accounts>> | undefined;
    const settled = await eventually(
      'the free slots to equal the slots no running job holds',
      async () => {
        last = await accounts();
        return last.available === last.expected && last.free === last.expected ? last : undefined;
      },
      60_000,
    ).catch(() => last);
    expect(settled?.available).toBe(settled?.expected);
    expect(settled?.free).toBe(settled?.expected);
  });

  it('creates every bucket and table of infra/platform.json, with the key schema of each table', async () => {
    const buckets = [
      platform.storage.checkpointBucket,
      platform.storage.dataLakeBucket,
      platform.storage.failedBatchBucket,
    ];
    for (const bucket of buckets) {
      await expect(aws.s3.send(new HeadBucketCommand({ Bucket: bucket })), bucket).resolves.toBeDefined();
    }
    for (const table of Object.values(tables)) {
      const { Table } = await aws.dynamodb.send(new DescribeTableCommand({ TableName: table.tableName }));
      const keys = Object.fromEntries(
        (Table?.KeySchema ?? []).map((key) => [key.KeyType, key.AttributeName]),
      );
      expect(keys, table.tableName).toEqual({
        HASH: table.partitionKey,
        ...('sortKey' in table ? { RANGE: table.sortKey } : {}),
      });
    }
  });

  it('runs Flink with checkpoints and savepoints in the checkpoint bucket, at the configured interval', async () => {
    const config = await new FlinkRestClient({ baseUrl: endpoints.flinkRestUrl }).jobManagerConfig();
    const bucket = `s3://${platform.storage.checkpointBucket}`;
    expect(config['execution.checkpointing.dir']).toBe(`${bucket}/checkpoints`);
    expect(config['execution.checkpointing.savepoint-dir']).toBe(`${bucket}/savepoints`);
    expect(config['execution.checkpointing.interval']).toBe(endpoints.checkpointInterval);
    expect(config['taskmanager.numberOfTaskSlots']).toBe(String(platform.flink.taskSlots));
  });

  it('listens on 127.0.0.1 only, on the ports of infra/platform.json', async () => {
    // Prepare: every socket inode of the stack's processes and their children.
    const roots = [...(await programStates(stackPaths())).values()].flatMap((p) => (p.pid ? [p.pid] : []));
    const owners = socketOwners(withDescendants(roots));

    // Act: the listening TCP sockets among them, from the kernel's tables.
    const listening = listeningSockets().filter((socket) => owners.has(socket.inode));

    // Assess: none on another address, and the ports the README names are among them.
    expect(listening.filter((socket) => !socket.loopback)).toEqual([]);
    const ports = new Set(listening.map((socket) => socket.port));
    const promised = [
      platform.ports.kafka,
      platform.ports.kafkaTls,
      platform.ports.kafkaController,
      platform.ports.flinkRest,
      platform.ports.sqlGateway,
      platform.ports.awsEndpoint,
      platform.ports.minio,
      platform.ports.minioConsole,
      platform.ports.prometheusJobManager,
    ];
    expect(promised.filter((port) => !ports.has(port))).toEqual([]);
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
      // An slf4j API without its binding silently drops every log line, with only this warning left.
      expect(log, component).not.toContain('Defaulting to no-operation (NOP) logger');
      expect(log, component).toMatch(line);
    }
  });
});

/** `pids` and every process descended from them (a launch script's JVM, MinIO's children). */
function withDescendants(pids: readonly number[]): Set<number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/<pid>/stat is the parent pid; the command name (field 2) may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while the table was read.
    }
  }
  const all = new Set(pids);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (all.has(parent) && !all.has(pid)) {
        all.add(pid);
        grew = true;
      }
    }
  }
  return all;
}

/** The socket inodes the processes hold open. */
function socketOwners(pids: ReadonlySet<number>): Set<string> {
  const inodes = new Set<string>();
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'utf8' });
        const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
        if (inode) inodes.add(inode);
      }
    } catch {
      // The process ended meanwhile.
    }
  }
  return inodes;
}

/**
 * Listening TCP sockets from /proc/net/tcp and tcp6 (state 0A): addresses are hex, each 32-bit word
 * in the host's (little-endian) byte order; loopback is 127.0.0.0/8, ::1 or ::ffff:127.x.x.x.
 */
function listeningSockets(): { address: string; port: number; inode: string; loopback: boolean }[] {
  const sockets = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== '0A') continue;
      const [hex, port] = fields[1]!.split(':') as [string, string];
      const bytes = (hex.match(/.{8}/g) ?? []).flatMap((word) => (word.match(/../g) ?? []).reverse());
      const octets = bytes.map((byte) => Number.parseInt(byte, 16));
      const v4 =
        octets.length === 4
          ? octets
          : octets.slice(0, 10).every((o) => o === 0) && octets[10] === 0xff && octets[11] === 0xff
            ? octets.slice(12)
            : undefined;
      const loopback = v4 ? v4[0] === 127 : octets.slice(0, 15).every((o) => o === 0) && octets[15] === 1;
      const address = v4 ? v4.join('.') : (bytes.join('').match(/.{4}/g) ?? []).join(':');
      sockets.push({ address, port: Number.parseInt(port, 16), inode: fields[9]!, loopback });
    }
  }
  return sockets;
}
