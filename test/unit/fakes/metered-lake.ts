import type { Lake } from '@apphub/microbatcher';

/**
 * A lake that counts its requests in flight: each request waits one turn of the event loop (as a
 * network round trip would), then goes to `inner`. `peak` is the most in flight at once, and
 * `peakBy` the most in flight while a request of each kind (`kindOf` its method and key) started.
 */
export class MeteredLake implements Lake {
  inFlight = 0;
  peak = 0;
  readonly peakBy = new Map<string, number>();

  constructor(
    private readonly inner: Lake,
    private readonly kindOf: (method: keyof Lake, key: string) => string,
  ) {}

  get bucket(): string {
    return this.inner.bucket;
  }

  put: Lake['put'] = (key, body, contentType) =>
    this.metered('put', key, () => this.inner.put(key, body, contentType));
  get: Lake['get'] = (key) => this.metered('get', key, () => this.inner.get(key));
  getJson: Lake['getJson'] = (key, schema) =>
    this.metered('getJson', key, () => this.inner.getJson(key, schema));
  head: Lake['head'] = (key) => this.metered('head', key, () => this.inner.head(key));
  putIf: Lake['putIf'] = (condition, key, body, contentType, metadata) =>
    this.metered('putIf', key, () => this.inner.putIf(condition, key, body, contentType, metadata));
  tag: Lake['tag'] = (key, tag) => this.metered('tag', key, () => this.inner.tag(key, tag));

  private async metered<T>(method: keyof Lake, key: string, request: () => Promise<T>): Promise<T> {
    this.inFlight += 1;
    this.peak = Math.max(this.peak, this.inFlight);
    const kind = this.kindOf(method, key);
    this.peakBy.set(kind, Math.max(this.peakBy.get(kind) ?? 0, this.inFlight));
    try {
      await new Promise((resolve) => setImmediate(resolve));
      return await request();
    } finally {
      this.inFlight -= 1;
    }
  }
}
