import type { Logger, Metrics } from '@apphub/observability';
import type { WatermarkStore } from '@apphub/watermarks';
import type { DatasetDescriptor } from './descriptor.js';
import type { Lake } from './lake.js';
import type { PartCache } from './part-cache.js';
import type { RecordedSchemas } from './schema-record.js';

/** Everything the micro-batcher needs, passed in so the handler, local runner and tests share it. */
export interface BatcherContext {
  readonly descriptors: readonly DatasetDescriptor[];
  readonly lake: Lake;
  readonly store: WatermarkStore;
  readonly logger: Logger;
  /**
   * The invocation's Powertools metrics (dimension `Service`), published by the handler's middleware;
   * each value also goes at once to a series with dimension `Dataset`. Without them nothing is recorded.
   */
  readonly metrics?: Metrics;
  /** Processing time; defaults to Date.now. */
  readonly now?: (() => number) | undefined;
  /**
   * S3 requests one invocation keeps in flight, ingest and sealing together; defaults to
   * S3_REQUESTS_IN_FLIGHT (request-limit.ts).
   */
  readonly s3RequestsInFlight?: number;
  /**
   * Hot parts this process wrote, kept across invocations of a warm function so sealing need not
   * read them back; created once at cold start. Without one, only the current batch's parts are kept.
   */
  readonly partCache?: PartCache;
  /**
   * The datasets whose schema this function has checked against and recorded in the lake, created
   * once at cold start; without it every batch checks again (two more requests).
   */
  readonly schemas?: RecordedSchemas;
}
