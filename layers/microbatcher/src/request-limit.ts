import { type Lake, mapWithLimit } from './lake.js';

/**
 * S3 requests one invocation keeps in flight at once, ingest and sealing together: the hot parts
 * and dead letters of a batch, and the reads, sealed files, symlink manifests and tags of the
 * windows it seals. It stays below the 50 sockets the AWS SDK's Node HTTP handler opens per client
 * (@smithy/node-http-handler), so no request waits for a socket behind the limit.
 */
export const S3_REQUESTS_IN_FLIGHT = Object.freeze({
  defaultValue: 16,
  description:
    'S3 requests one micro-batcher invocation keeps in flight at once, ingest and sealing together (BatcherContext.s3RequestsInFlight).',
});

/** At most `size` requests run at once; the others wait, first come first served. */
export class RequestLimit {
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isSafeInteger(size) || size < 1) {
      throw new RangeError(`S3 requests in flight must be a positive integer, got ${size}`);
    }
  }

  /** Runs `request` once a slot is free, and frees it when the request settles. */
  async run<T>(request: () => Promise<T>): Promise<T> {
    if (this.#running >= this.size) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running += 1;
    try {
      return await request();
    } finally {
      // A waiting request takes the slot over, so the count stays at the limit while work is queued.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running -= 1;
    }
  }
}

/**
 * The lake with every request taking a slot of `limit`, so however the work above fans out, no more
 * than `limit.size` requests are in flight.
 */
export class RequestLimitedLake implements Lake {
  constructor(
    readonly inner: Lake,
    readonly limit: RequestLimit,
  ) {}

  get bucket(): string {
    return this.inner.bucket;
  }

  put: Lake['put'] = (key, body, contentType) => this.limit.run(() => this.inner.put(key, body, contentType));
  get: Lake['get'] = (key) => this.limit.run(() => this.inner.get(key));
  getJson: Lake['getJson'] = (key, schema) => this.limit.run(() => this.inner.getJson(key, schema));
  head: Lake['head'] = (key) => this.limit.run(() => this.inner.head(key));
  putIf: Lake['putIf'] = (condition, key, body, contentType, metadata) =>
    this.limit.run(() => this.inner.putIf(condition, key, body, contentType, metadata));
  tag: Lake['tag'] = (key, tag) => this.limit.run(() => this.inner.tag(key, tag));
}

/**
 * `lake` with at most `inFlight` requests at once (S3_REQUESTS_IN_FLIGHT by default); a lake that
 * is limited already is returned as it is, so an invocation's steps share its one limit.
 */
export function limitLakeRequests(lake: Lake, inFlight: number = S3_REQUESTS_IN_FLIGHT.defaultValue): Lake {
  return lake instanceof RequestLimitedLake ? lake : new RequestLimitedLake(lake, new RequestLimit(inFlight));
}

/**
 * Runs `task` over `items`, starting no more tasks at once than `lake` lets requests be in flight
 * (mapWithLimit: results keep the input order, and the first failure starts no further task), so a
 * fan-out never encodes far ahead of the requests that send its bodies.
 */
export function mapRequests<T, R>(
  lake: Lake,
  items: readonly T[],
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const limit = lake instanceof RequestLimitedLake ? lake.limit.size : S3_REQUESTS_IN_FLIGHT.defaultValue;
  return mapWithLimit(items, limit, task);
}

/**
 * `context` with its lake limited to its `s3RequestsInFlight` (S3_REQUESTS_IN_FLIGHT by default):
 * what an invocation's entry point passes down, so ingest and sealing share one limit.
 */
export function withRequestLimit<
  Context extends { readonly lake: Lake; readonly s3RequestsInFlight?: number },
>(context: Context): Context {
  const lake = limitLakeRequests(context.lake, context.s3RequestsInFlight);
  return lake === context.lake ? context : { ...context, lake };
}
