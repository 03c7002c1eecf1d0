import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { KafkaClient } from '@apphub/kafka-client';
import { consumerGroupIdFor } from '@apphub/microbatcher';
import { platform } from '@apphub/platform';
import { LOCAL_FAILED_BATCH_BUCKET, localMappingUuid } from '../batcher/index.js';
import { type BatcherProcess, startBatcherProcess } from '../sample/micro-batch.js';
import { waitUntil } from '../stack/index.js';
import { SoakStackNotReadyError } from './errors.js';

/** The event source mapping the soak runs: short invocations and one retry, so an outage outlasts them soon. */
export interface SoakMapping {
  readonly stackPrefix: string;
  readonly timeoutSeconds: number;
  readonly retryAttempts: number;
  readonly sealIntervalSeconds: number;
}

/**
 * The soak's `npm run batcher`: a consumer group of the run's own (from the latest offsets), in a
 * process group of its own so that `kill -9` takes all of it. As Lambda's poller does for a mapping,
 * the soak starts it again after it dies.
 */
export class SoakRunner {
  readonly topic = platform.topics.aggregates.name;
  readonly groupId: string;
  private process: BatcherProcess | undefined;

  constructor(
    private readonly kafka: KafkaClient,
    readonly mapping: SoakMapping,
  ) {
    this.groupId = consumerGroupIdFor(mapping.stackPrefix, this.topic);
  }

  /** The failed-batch bucket's prefix of this mapping (Lambda's layout: aws/lambda/<mapping uuid>/). */
  get failedBatchPrefix(): string {
    return `aws/lambda/${localMappingUuid(this.groupId, this.topic)}/`;
  }

  get failedBatchUri(): string {
    return `s3://${LOCAL_FAILED_BATCH_BUCKET}/${this.failedBatchPrefix}`;
  }

  get log(): string | undefined {
    return this.process?.log;
  }

  alive(): boolean {
    return this.process?.alive() ?? false;
  }

  /** Alive and a member of its group: a process whose consumer stopped does not count. */
  async consuming(): Promise<boolean> {
    return this.alive() && (await this.kafka.groupMembers(this.groupId)) > 0;
  }

  /** Starts it and waits until its group has a member (a new group starts at the latest offsets). */
  async start(): Promise<void> {
    const started = startBatcherProcess(
      [
        '--stack-prefix',
        this.mapping.stackPrefix,
        '--latest',
        '--retry-attempts',
        String(this.mapping.retryAttempts),
        '--timeout-s',
        String(this.mapping.timeoutSeconds),
        '--seal-interval-s',
        String(this.mapping.sealIntervalSeconds),
      ],
      process.env,
      { ownProcessGroup: true },
    );
    this.process = started;
    const joined = await waitUntil(
      'the soak runner to join its group',
      async () => (await this.kafka.groupMembers(this.groupId)) > 0,
      { timeoutMs: 120_000, isAlive: started.alive },
    );
    if (!joined)
      throw new SoakStackNotReadyError(
        `the soak's runner did not join group ${this.groupId}; see ${started.log}`,
      );
  }

  /** `kill -9` of every process of the runner. */
  async kill(): Promise<void> {
    await this.process?.killGroup('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.process?.stop();
  }
}

/** The size of `file` now (0 when absent): where to look for lines written after this moment. */
export function fileSize(file: string | undefined): number {
  try {
    return file === undefined ? 0 : statSync(file).size;
  } catch {
    return 0;
  }
}

/** The text `file` gained after byte `from`. */
export function textAfter(file: string, from: number): string {
  const size = fileSize(file);
  if (size <= from) return '';
  const handle = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(size - from);
    readSync(handle, buffer, 0, buffer.length, from);
    return buffer.toString('utf8');
  } finally {
    closeSync(handle);
  }
}
