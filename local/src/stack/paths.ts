import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { platform } from '@apphub/platform';

/** Repository root, found from this file's location so every tool works from any working directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Git-ignored folders: downloads and builds in .cache/, runtime state and logs in .local/ (or APPHUB_STACK_DIR). */
export function stackPaths(stackDir = process.env.APPHUB_STACK_DIR ?? path.join(repoRoot, '.local')) {
  const cache = path.join(repoRoot, '.cache');
  const supervisor = path.join(stackDir, 'supervisor');
  return Object.freeze({
    cache,
    jars: path.join(cache, 'jars'),
    /** Flink plugins, one folder per plugin as in the image's plugins/ (FLINK_PLUGINS_DIR). */
    flinkPlugins: path.join(cache, 'flink-plugins'),
    venv: path.join(cache, 'venv'),
    /** MinIO built from source, one folder per pinned version. */
    minioBin: path.join(cache, 'minio', platform.versions.minioSource, 'minio'),
    stack: stackDir,
    logs: path.join(stackDir, 'logs'),
    /** supervisord's configuration, control socket, pid file and the components' launch scripts. */
    supervisor,
    supervisorConf: path.join(supervisor, 'supervisord.conf'),
    supervisorSocket: path.join(supervisor, 'supervisor.sock'),
    launchers: path.join(supervisor, 'bin'),
    /** What a component wrote about itself at start (a TaskManager's resource id). */
    runtime: path.join(stackDir, 'runtime'),
    kafkaData: path.join(stackDir, 'kafka', 'data'),
    kafkaConf: path.join(stackDir, 'kafka', 'conf'),
    /** The local CA and the broker's key and certificate for the TLS listener. */
    kafkaTls: path.join(stackDir, 'kafka', 'tls'),
    flinkConf: path.join(stackDir, 'flink', 'conf'),
    flinkTmp: path.join(stackDir, 'flink', 'tmp'),
    /** MinIO's data: the checkpoint and data-lake buckets. */
    minioData: path.join(stackDir, 'minio', 'data'),
    /** DynamoDB contents of the moto endpoint, kept across restarts (local/moto/serve.py). */
    awsState: path.join(stackDir, 'aws', 'state.pickle'),
  });
}

export type StackPaths = ReturnType<typeof stackPaths>;

/** Log file of one component, named after it. */
export function logFile(paths: StackPaths, component: string): string {
  return path.join(paths.logs, `${component}.log`);
}
