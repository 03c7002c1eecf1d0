import { randomUUID } from 'node:crypto';
import { sleep } from '@apphub/flink';
import type { Logger } from '@apphub/observability';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ControlPlaneStorageError } from './errors.js';

/** Who holds a lease and until when (epoch milliseconds). */
export interface LeaseHolder {
  readonly owner: string;
  readonly expiresAt: number;
}

/** What an attempt to take a lease got. */
export type LeaseAttempt =
  | { readonly acquired: true }
  | { readonly acquired: false; readonly holder: LeaseHolder | undefined };

/** The lease of a whole pass: only one savepoint, reconcile or autoscale pass runs at a time. */
export const passLease = (pass: 'savepoint' | 'reconcile' | 'autoscale') => `pass/${pass}`;

/** The lease of one job: savepoint, reconcile and rescale never act on the same job at once. */
export const jobLease = (jobName: string) => `job/${jobName}`;

/**
 * Single-flight leases in DynamoDB (partition key `leaseName`). A lease is taken with a conditional
 * put that succeeds only when nobody holds it, it expired, or the same owner renews it; it is
 * released with a delete conditioned on the owner, so a run never releases a lease another run took
 * over after it expired.
 */
export class LeaseStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    dynamodb: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(dynamodb);
  }

  /** Takes (or renews, for the same owner) `leaseName` until `expiresAt`, judged at `now`. */
  async acquire(leaseName: string, owner: string, expiresAt: number, now: number): Promise<LeaseAttempt> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            leaseName,
            owner,
            expiresAt,
            // DynamoDB TTL (seconds) removes leases a crashed run never released.
            expiresAtSeconds: Math.ceil(expiresAt / 1000) + 3600,
            acquiredAt: new Date(now).toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(leaseName) OR expiresAt <= :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': now, ':owner': owner },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { acquired: true };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        return { acquired: false, holder: error.Item ? toHolder(unmarshall(error.Item)) : undefined };
      }
      throw new ControlPlaneStorageError(`Could not take lease ${leaseName} in ${this.tableName}`, {
        cause: error,
      });
    }
  }

  /** Releases the lease if `owner` still holds it; returns false when it no longer did. */
  async release(leaseName: string, owner: string): Promise<boolean> {
    try {
      await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { leaseName },
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': owner },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw new ControlPlaneStorageError(`Could not release lease ${leaseName} in ${this.tableName}`, {
        cause: error,
      });
    }
  }
}

function toHolder(item: Record<string, unknown>): LeaseHolder | undefined {
  return typeof item.owner === 'string' && typeof item.expiresAt === 'number'
    ? { owner: item.owner, expiresAt: item.expiresAt }
    : undefined;
}

/** What {@link withLease} did: ran `work`, or found the lease held by another run. */
export type LeaseOutcome<T> =
  | { readonly ran: true; readonly value: T }
  | { readonly ran: false; readonly holder: LeaseHolder | undefined };

/** How long a lease lasts and how a run waits for it. */
export interface LeaseTiming {
  /**
   * When the run must be over: a Lambda's deadline (now + remaining time). The lease expires then,
   * so a run killed at its timeout frees it at that moment. Without one (a CLI), the lease lasts
   * `renewMs` and is renewed every third of it while the work runs.
   */
  readonly deadline?: number | undefined;
  /** Keep trying until this time (epoch ms) when the lease is held, instead of giving up at once. */
  readonly waitUntil?: number;
}

/** What {@link withLease} needs: the store, a clock, a logger, and who this run is. */
export interface LeaseContext {
  readonly leases: LeaseStore;
  readonly now: () => number;
  readonly logger: Logger;
  /** Identifies this run in the lease item (and in the "held by" message of other runs). */
  readonly owner: string;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Lease length of a run without deadline, renewed while it works. Default 60 s. */
  readonly renewMs?: number;
}

/** A new owner id: the process (host and pid) plus a random part, unique per run. */
export function newLeaseOwner(label: string): string {
  return `${label}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * Runs `work` while holding `leaseName`; when another run holds it (and `waitUntil` passed), logs
 * that another run is active and returns `{ ran: false }` without running it: single-flight that
 * does not depend on the function's reserved concurrency. The lease is released afterwards,
 * whatever `work` does.
 */
export async function withLease<T>(
  context: LeaseContext,
  leaseName: string,
  timing: LeaseTiming,
  work: () => Promise<T>,
): Promise<LeaseOutcome<T>> {
  const pause = context.sleep ?? sleep;
  const renewMs = context.renewMs ?? 60_000;
  const expiry = () => timing.deadline ?? context.now() + renewMs;
  let attempt = await context.leases.acquire(leaseName, context.owner, expiry(), context.now());
  while (!attempt.acquired && timing.waitUntil !== undefined && context.now() < timing.waitUntil) {
    const holderEnds = attempt.holder?.expiresAt ?? context.now();
    await pause(Math.max(100, Math.min(2_000, holderEnds - context.now(), timing.waitUntil - context.now())));
    attempt = await context.leases.acquire(leaseName, context.owner, expiry(), context.now());
  }
  if (!attempt.acquired) {
    context.logger.info('another run is active; nothing to do', {
      lease: leaseName,
      heldBy: attempt.holder?.owner,
      until: attempt.holder ? new Date(attempt.holder.expiresAt).toISOString() : undefined,
    });
    return { ran: false, holder: attempt.holder };
  }
  const renewal =
    timing.deadline === undefined
      ? setInterval(() => {
          context.leases
            .acquire(leaseName, context.owner, expiry(), context.now())
            .then((renewed) => {
              if (!renewed.acquired) context.logger.warn('lease lost to another run', { lease: leaseName });
            })
            .catch((error) => context.logger.warn('lease renewal failed', { lease: leaseName, error }));
        }, renewMs / 3)
      : undefined;
  try {
    return { ran: true, value: await work() };
  } finally {
    if (renewal) clearInterval(renewal);
    const released = await context.leases.release(leaseName, context.owner).catch((error) => {
      context.logger.warn('lease release failed; it expires by itself', { lease: leaseName, error });
      return true;
    });
    if (!released)
      context.logger.warn('lease had expired and was taken over before release', { lease: leaseName });
  }
}
