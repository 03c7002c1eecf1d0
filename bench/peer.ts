/**
 * Row 5 of `npm run bench`: the micro-batcher's peer, Flink's own filesystem sink writing the same
 * aggregates as Parquet to the local S3 endpoint (bench/sql/parquet-peer.sql). It runs in a JVM of its
 * own (bench/peer/src, a Flink MiniCluster with the stack's Flink jars, flink-parquet and the
 * flink-s3-fs-hadoop plugin), so the stack's Flink keeps the configuration ECS runs and the peer's CPU
 * time is that JVM's alone.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { renderSqlTemplate, splitSqlStatements, sqlOptions } from '@apphub/flink';
import type { KafkaClient } from '@apphub/kafka-client';
import { S3Lake } from '@apphub/microbatcher';
import { durationSchema } from '@apphub/microbatcher/dataset';
import {
  AppHubError,
  flinkKafkaTableOptions,
  type KafkaSecurity,
  LOCAL_AWS_CREDENTIALS,
  type LocalEndpoints,
  platform,
  s3EndpointSettings,
  toFlinkYaml,
} from '@apphub/platform';
import type { WatermarkPolicy } from '@apphub/watermarks';
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { parquetMetadataAsync } from 'hyparquet';
import { jobKafka } from '../local/src/sample/targets.js';
import { createProgress, localAwsClients, stackPaths } from '../local/src/stack/index.js';
import {
  ensureJars,
  ensureJavaLibrary,
  ensurePluginFolder,
  type JavaLibrary,
} from '../local/src/stack/installer.js';
import { java17ModuleFlags } from '../local/src/stack/java.js';
import { repoRoot } from '../local/src/stack/paths.js';
import { freshnessLatenessMs, freshnessWindowMs, timeWindowsReadable } from './freshness.js';
import { createBenchTopic, type ThroughputResult } from './throughput.js';

/** The peer's Java side, built like the stack's own Java libraries. */
const peerLibrary: JavaLibrary = {
  name: 'apphub-parquet-peer',
  sources: 'bench/peer/src',
  description: "the bench's Flink Parquet peer",
};
const mainClass = 'com.apphub.streaming.bench.ParquetPeer';
const template = path.join(repoRoot, 'bench', 'sql', 'parquet-peer.sql');
/** Where the peer writes in the data-lake bucket, one folder per run. */
const peerPrefix = 'bench-parquet-peer';

/** The peer failed to start, refused a statement, or wrote other than what it read. */
export class BenchPeerFailedError extends AppHubError {}

/** Log4j 2 settings of the peer's JVM: warnings and errors to its log file. */
const log4j = (file: string) => `status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = ${file}
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %d{ISO8601} %-5p %c{1.} - %m%n
rootLogger.level = WARN
rootLogger.appenderRef.file.ref = FILE
`;

/**
 * The peer's Flink settings: the platform's shared ones (checkpointing as the stack runs it, with the
 * stack's checkpoint interval) and S3 on MinIO, with the MiniCluster's ports left to the OS so it runs
 * beside the stack. Checkpoints go to the checkpoint bucket under the peer's own prefix.
 */
function peerSettings(endpoints: LocalEndpoints, tmp: string): Record<string, string> {
  const shared = Object.fromEntries(
    Object.entries(platform.flink.settings).filter(([key]) => !key.startsWith('metrics.reporter.')),
  );
  const snapshots = `s3://${platform.storage.checkpointBucket}/${peerPrefix}/${randomUUID().slice(0, 8)}`;
  return {
    ...shared,
    'execution.checkpointing.interval': endpoints.checkpointInterval,
    'execution.checkpointing.dir': `${snapshots}/checkpoints`,
    'execution.checkpointing.savepoint-dir': `${snapshots}/savepoints`,
    ...s3EndpointSettings({ url: endpoints.s3EndpointUrl, credentials: LOCAL_AWS_CREDENTIALS }),
    'taskmanager.numberOfTaskSlots': String(platform.flink.taskSlots),
    'parallelism.default': String(platform.flink.parallelism),
    'rest.address': '127.0.0.1',
    'rest.bind-address': '127.0.0.1',
    'rest.port': '0',
    'blob.server.port': '0',
    'taskmanager.host': '127.0.0.1',
    'io.tmp.dirs': tmp,
    'table.local-time-zone': 'UTC',
  };
}

/** Jars, plugin folder and compiled peer; resolved with Maven and built with javac the first time. */
async function preparePeer() {
  const paths = stackPaths();
  const progress = createProgress();
  const flinkJars = await ensureJars(paths, 'flink', progress);
  const peerJars = await ensureJars(paths, 'parquet-peer', progress);
  const isPlugin = (jar: string) => path.basename(jar).startsWith('flink-s3-fs-hadoop-');
  const plugin = peerJars.find(isPlugin);
  if (plugin === undefined) throw new BenchPeerFailedError('flink-s3-fs-hadoop was not resolved');
  // A plugin folder of the peer's own: the stack's holds flink-s3-fs-presto, which would claim s3:// too.
  const plugins = ensurePluginFolder(path.join(paths.cache, 'parquet-peer-plugins'), 's3-fs-hadoop', plugin);
  const classpath = [...flinkJars, ...peerJars.filter((jar) => !isPlugin(jar))];
  const peerJar = await ensureJavaLibrary(peerLibrary, paths, classpath, progress);
  return { classpath: [...classpath, peerJar], plugins, state: path.join(paths.stack, 'parquet-peer') };
}

interface PeerAnswer {
  readonly ok?: boolean;
  readonly error?: string;
  readonly jobId?: string;
  readonly cpuNanos?: number;
  readonly wallNanos?: number;
}

/** The peer's JVM, driven one request at a time over its stdin and stdout. */
export class ParquetPeer {
  private constructor(
    private readonly process: ChildProcess,
    private readonly answers: AsyncIterator<string>,
    private readonly endpoints: LocalEndpoints,
    private readonly lake: S3Lake,
    readonly log: string,
  ) {}

  /** Starts the peer's JVM and waits for its MiniCluster. */
  static async start(endpoints: LocalEndpoints): Promise<ParquetPeer> {
    const { classpath, plugins, state } = await preparePeer();
    rmSync(state, { recursive: true, force: true });
    const tmp = path.join(state, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const settingsFile = path.join(state, 'config.yaml');
    writeFileSync(settingsFile, toFlinkYaml(peerSettings(endpoints, tmp)));
    const log = path.join(state, 'parquet-peer.log');
    const log4jFile = path.join(state, 'log4j2.properties');
    writeFileSync(log4jFile, log4j(log));
    const child = spawn(
      'java',
      [
        ...java17ModuleFlags,
        '-Xms512m',
        '-Xmx1536m',
        `-Dlog4j.configurationFile=${log4jFile}`,
        '-cp',
        classpath.join(':'),
        mainClass,
        settingsFile,
      ],
      {
        env: { ...process.env, FLINK_PLUGINS_DIR: plugins },
        stdio: ['pipe', 'pipe', openSync(path.join(state, 'stderr.log'), 'w')],
      },
    );
    const answers = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const peer = new ParquetPeer(
      child,
      answers,
      endpoints,
      new S3Lake(localAwsClients(endpoints).s3, platform.storage.dataLakeBucket),
      log,
    );
    const ready = await peer.next();
    if (!ready.includes('"ready"')) throw new BenchPeerFailedError(`the peer did not start: ${ready}`);
    return peer;
  }

  private async next(): Promise<string> {
    const line = await this.answers.next();
    if (line.done)
      throw new BenchPeerFailedError(
        `the peer's JVM exited (${this.process.exitCode ?? 'signal'}); see ${this.log} and stderr.log beside it`,
      );
    return line.value;
  }

  private async request(request: Record<string, unknown>): Promise<PeerAnswer> {
    this.process.stdin!.write(`${JSON.stringify(request)}\n`);
    const answer = JSON.parse(await this.next()) as PeerAnswer;
    if (!answer.ok) throw new BenchPeerFailedError(`the peer refused ${request.op}: ${answer.error}`);
    return answer;
  }

  /** The peer's statements for `topic` into a fresh folder, read from the start by a fresh group. */
  private statements(topic: string, windowMs: number, latenessMs: number, bounded: boolean) {
    const run = randomUUID().slice(0, 8);
    const prefix = `${peerPrefix}/${topic}-${run}`;
    const kafka = jobKafka('native', this.endpoints);
    const statements = parquetPeerStatements({
      topic,
      groupId: `${topic}-peer-${run}`,
      kafka,
      bounded,
      path: `s3://${platform.storage.dataLakeBucket}/${prefix}`,
      windowMs,
      latenessMs,
    });
    return { statements, prefix };
  }

  /**
   * Drains `topic` (`records` records) to Parquet: a bounded read up to the offsets at the start,
   * so the job ends when it has written and committed everything. Checks that the Parquet files hold
   * every record and that each window got its _SUCCESS file.
   */
  async drain(
    topic: string,
    records: number,
    policy: Pick<WatermarkPolicy, 'windowDurationMs' | 'allowedLatenessMs'>,
  ): Promise<ThroughputResult> {
    const { windowDurationMs, allowedLatenessMs } = policy;
    const { statements, prefix } = this.statements(topic, windowDurationMs, allowedLatenessMs, true);
    const answer = await this.request({ op: 'run', statements, wait: true });
    const written = await this.writtenRows(prefix);
    if (written.rows !== records)
      throw new BenchPeerFailedError(`the peer wrote ${written.rows} rows of ${records} to ${prefix}`);
    const missing = written.partitions.filter((partition) => !written.committed.has(partition));
    if (missing.length > 0)
      throw new BenchPeerFailedError(
        `the peer left ${missing.length} partitions without _SUCCESS: ${missing[0]}`,
      );
    const seconds = answer.wallNanos! / 1e9;
    return {
      name:
        records > 0
          ? "peer: Flink's filesystem sink, Parquet"
          : 'peer, fixed cost: the same job on an empty topic',
      records,
      seconds,
      recordsPerSecond: records / seconds,
      cpuSeconds: answer.cpuNanos! / 1e9,
      detail: `${written.files} files in ${written.partitions.length} partitions`,
    };
  }

  /** Parquet rows, files and partitions under `prefix`, and the partitions with a _SUCCESS file. */
  private async writtenRows(prefix: string) {
    let rows = 0;
    let files = 0;
    const partitions = new Set<string>();
    const committed = new Set<string>();
    for (const key of await this.keysUnder(prefix)) {
      const partition = path.posix.dirname(key);
      const name = path.posix.basename(key);
      if (name === '_SUCCESS') committed.add(partition);
      if (name.startsWith('.') || name.startsWith('_')) continue;
      partitions.add(partition);
      files += 1;
      const bytes = await this.lake.get(key);
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      rows += Number((await parquetMetadataAsync(buffer as ArrayBuffer)).num_rows);
    }
    return { rows, files, partitions: [...partitions], committed };
  }

  /** Every key under the folder `prefix` of the data-lake bucket. */
  private async keysUnder(prefix: string): Promise<Set<string>> {
    const keys = new Set<string>();
    const pages = paginateListObjectsV2(
      { client: this.lake.s3 },
      { Bucket: this.lake.bucket, Prefix: `${prefix}/` },
    );
    for await (const page of pages) for (const object of page.Contents ?? []) keys.add(object.Key!);
    return keys;
  }

  /**
   * Live freshness, as the micro-batcher's: the ticks of {@link timeWindowsReadable} on a fresh
   * topic, read by a running peer job; a window is readable when its partition has its _SUCCESS file.
   */
  async freshness(kafka: KafkaClient, windows: number): Promise<number[]> {
    const topic = await createBenchTopic(kafka, 'bench-peer-fresh');
    const { statements, prefix } = this.statements(topic, freshnessWindowMs, freshnessLatenessMs, false);
    const { jobId } = await this.request({ op: 'run', statements, wait: false });
    try {
      // A window becomes visible at the first checkpoint after the watermark passes it.
      const patienceMs = 2 * durationSchema.parse(this.endpoints.checkpointInterval) + 60_000;
      return await timeWindowsReadable(kafka, topic, windows, patienceMs, async (from, to) => {
        const committed = new Set<number>();
        const keys = await this.keysUnder(prefix);
        for (let start = from; start < to; start += freshnessWindowMs)
          if (keys.has(`${prefix}/storage_window=${storageWindowValue(start)}/_SUCCESS`))
            committed.add(start);
        return committed;
      });
    } finally {
      await this.request({ op: 'cancel', jobId });
    }
  }

  /** Stops the MiniCluster and the JVM. */
  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((resolve) => this.process.once('exit', resolve));
    this.process.stdin!.end(`${JSON.stringify({ op: 'exit' })}\n`);
    await exited;
  }
}

/**
 * The peer's statements (bench/sql/parquet-peer.sql): `topic` read from its start by `groupId`, up to
 * the offsets at the start when `bounded`, written under `path` in storage windows of `windowMs`
 * committed `latenessMs` after their end.
 */
export function parquetPeerStatements(options: {
  readonly topic: string;
  readonly groupId: string;
  readonly kafka: { readonly bootstrapServers: string; readonly security: KafkaSecurity };
  readonly bounded: boolean;
  readonly path: string;
  readonly windowMs: number;
  readonly latenessMs: number;
}): string[] {
  const { kafka } = options;
  for (const [name, ms] of [
    ['window', options.windowMs],
    ['lateness', options.latenessMs],
  ] as const)
    if (!Number.isInteger(ms / 1000))
      throw new BenchPeerFailedError(`the peer's SQL takes whole seconds; its ${name} is ${ms} ms`);
  return splitSqlStatements(
    renderSqlTemplate(readFileSync(template, 'utf8'), {
      TOPIC: options.topic,
      BROKERS: kafka.bootstrapServers,
      KAFKA_CLIENT_OPTIONS: sqlOptions(flinkKafkaTableOptions(kafka.security)),
      GROUP_ID: options.groupId,
      SCAN_OPTIONS: sqlOptions(options.bounded ? { 'scan.bounded.mode': 'latest-offset' } : {}),
      PATH: options.path,
      WINDOW_SECONDS: String(options.windowMs / 1000),
      LATENESS_SECONDS: String(options.latenessMs / 1000),
    }),
  );
}

/** The partition value of the window starting at `start`, as the template's DATE_FORMAT writes it. */
export function storageWindowValue(start: number): string {
  return new Date(start).toISOString().slice(0, 19).replace('T', '_').replaceAll(':', '-');
}
