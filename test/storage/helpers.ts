import { randomUUID } from 'node:crypto';
import { parseLocalEndpoints } from '@apphub/platform';
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
