import { randomUUID } from 'node:crypto';
import { parseLocalEndpoints } from '@apphub/platform';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import pMap from 'p-map';
import { localAwsClients } from '../../local/src/stack/clients.js';

/**
 * The endpoints the environment names: in the storage project its own MinIO and moto
 * (test/storage/global-setup.ts), in the integration project the local stack's.
 */
export const endpoints = parseLocalEndpoints();
export const aws = localAwsClients(endpoints);

/** A name no other test (or other run) uses, so tests can share one endpoint. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/**
 * One more object than a ListObjectsV2 page holds (1,000 keys at most:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html#API_ListObjectsV2_RequestSyntax),
 * so a listing of that many objects spans two pages.
 */
export const MORE_THAN_ONE_PAGE = 1_001;

/** Writes a small object at each of `keys` in `bucket`, 16 at a time. */
export async function putObjects(bucket: string, keys: readonly string[]): Promise<void> {
  await pMap(keys, (key) => aws.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' })), {
    concurrency: 16,
  });
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
