import type { FailedBatch } from '@apphub/microbatcher';
import { describeError } from '@apphub/platform';
import { LocalError } from '../errors.js';
import type { FailedBatchStore } from './failed-batches.js';

/** A failed batch could not be replayed; the message names the object, and those after it were not touched. */
export class FailedBatchReplayError extends LocalError {}

/** What is done with an object once its batch was handled again: nothing unless the user asks. */
export type AfterReplay = 'keep' | 'delete' | 'mark';

/** One replayed object. */
export interface ReplayedBatch {
  readonly uri: string;
  readonly batch: FailedBatch;
  /** Where it is now: the same URI (kept), undefined (deleted), or its URI under replayed/ (marked). */
  readonly nowAt: string | undefined;
}

export interface ReplayOptions {
  readonly store: FailedBatchStore;
  /** An object's key, or a prefix (empty: the whole bucket); objects under replayed/ are skipped. */
  readonly key: string;
  /** The micro-batcher's handler: the same one the event source mapping invokes. */
  readonly invoke: (event: unknown) => Promise<unknown>;
  readonly afterReplay: AfterReplay;
  /** Called after each object, in order. */
  readonly onReplayed?: (replayed: ReplayedBatch) => void;
}

/**
 * Feeds the batches of failed-batch objects back through the handler, one object at a time in key
 * order (oldest first within a partition). The handler is idempotent, so a batch that was already
 * replayed, or whose records later batches overwrote, converges to the state of a run in which it
 * never failed. Stops at the first object that cannot be read or handled, naming it.
 */
export async function replayFailedBatches(options: ReplayOptions): Promise<ReplayedBatch[]> {
  const { store } = options;
  const keys = await store.keysAt(options.key);
  if (keys.length === 0) {
    throw new FailedBatchReplayError(
      `nothing to replay: no failed-batch object at ${store.uri(options.key)}`,
    );
  }
  const replayed: ReplayedBatch[] = [];
  for (const key of keys) {
    const uri = store.uri(key);
    const batch = await store.read(key);
    try {
      await options.invoke(batch.event);
    } catch (error) {
      throw new FailedBatchReplayError(
        `replay of ${uri} failed: ${describeError(error)} (it and the objects after it are left as they were)`,
        { cause: error },
      );
    }
    let nowAt: string | undefined = uri;
    if (options.afterReplay === 'delete') {
      await store.delete(key);
      nowAt = undefined;
    } else if (options.afterReplay === 'mark') {
      nowAt = await store.markReplayed(key);
    }
    const result = { uri, batch, nowAt };
    replayed.push(result);
    options.onReplayed?.(result);
  }
  return replayed;
}
