import { randomUUID } from 'node:crypto';
import { parseLocalEndpoints } from '@apphub/platform';
import type { Kafka } from 'kafkajs';
import { localAwsClients, localKafka } from '../../local/src/stack/index.js';

export const endpoints = parseLocalEndpoints();
export const kafka: Kafka = localKafka(endpoints, 'apphub-tests');
export const aws = localAwsClients(endpoints);

/** A name no other test (or other run) uses, so tests can share one stack. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Creates a topic with `partitions` partitions for one test. */
export async function createTopic(name: string, partitions = 3): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }],
    });
  } finally {
    await admin.disconnect();
  }
}

/** Polls `check` until it returns a value or the timeout passes. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 120_000,
  intervalMs = 1_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
