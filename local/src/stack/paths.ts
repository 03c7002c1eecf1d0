import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, found from this file's location so every tool works from any working directory. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Git-ignored folders: downloads in .cache/, runtime state and logs in .local/ (or APPHUB_STACK_DIR). */
export function stackPaths(stackDir = process.env.APPHUB_STACK_DIR ?? path.join(repoRoot, '.local')) {
  const cache = path.join(repoRoot, '.cache');
  return Object.freeze({
    cache,
    jars: path.join(cache, 'jars'),
    venv: path.join(cache, 'venv'),
    stack: stackDir,
    state: path.join(stackDir, 'state', 'processes.json'),
    logs: path.join(stackDir, 'logs'),
    kafkaData: path.join(stackDir, 'kafka', 'data'),
    kafkaConf: path.join(stackDir, 'kafka', 'conf'),
    flinkConf: path.join(stackDir, 'flink', 'conf'),
    flinkCheckpoints: path.join(stackDir, 'flink', 'checkpoints'),
    flinkSavepoints: path.join(stackDir, 'flink', 'savepoints'),
    flinkTmp: path.join(stackDir, 'flink', 'tmp'),
    /** S3 + DynamoDB contents of the moto endpoint, kept across restarts (local/moto/serve.py). */
    awsState: path.join(stackDir, 'aws', 'state.pickle'),
  });
}

export type StackPaths = ReturnType<typeof stackPaths>;

/** Log file of one component, named after it. */
export function logFile(paths: StackPaths, component: string): string {
  return path.join(paths.logs, `${component}.log`);
}
