import {
  createLogger,
  createMetrics,
  entityTotal,
  FunctionFolder,
  METRIC_NAMESPACE,
  MetricName,
  type Metrics,
  metricRecorder,
  observability,
  SERVICE_DIMENSION,
  serviceMetricRecorder,
} from '@apphub/observability';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { captureEmf, dimensionsOf } from './emf-capture.js';

/** What Lambda passes a Node.js handler (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-context.html). */
const lambdaContext = (awsRequestId: string): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'apphub-reconcile',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:apphub-reconcile',
  memoryLimitInMB: '256',
  awsRequestId,
  logGroupName: '/aws/lambda/apphub-reconcile',
  logStreamName: '2026/12/03/[$LATEST]abc',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** An invocation's test event: what to record, and whether to fail. */
interface TestEvent {
  readonly records?: number;
  readonly fail?: boolean;
}

/** A handler of `service` wired like every function, running `work` with its metrics; its log lines are kept. */
function instrumentedHandler(service: string, work: (metrics: Metrics, event: TestEvent) => Promise<string>) {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger(service, { sink: (line) => logs.push(JSON.parse(line)) });
  const metrics = createMetrics(service, logger);
  const handler = middy()
    .use(observability({ logger, metrics }))
    .handler((event: unknown) => work(metrics, event as TestEvent));
  return { handler, logs };
}

/** A reconcile-like handler: records FailedCheckpoints for two jobs, then fails when asked to. */
function reconcileHandler() {
  return instrumentedHandler(FunctionFolder.reconcile, async (metrics, event) => {
    metricRecorder(metrics, { JobName: 'orders' }).add(MetricName.failedCheckpoints, 'Count', 1);
    metricRecorder(metrics, { JobName: 'clicks' }).add(MetricName.failedCheckpoints, 'Count', 0);
    if (event.fail) throw new Error('Flink unreachable', { cause: new Error('ECONNREFUSED') });
    return 'done';
  });
}

/** A micro-batcher-like handler: records RecordsProcessed when it has records, fails when asked to. */
function batcherHandler() {
  return instrumentedHandler(FunctionFolder.microBatcher, async (metrics, event) => {
    if (event.records) metrics.addMetric(MetricName.recordsProcessed, 'Count', event.records);
    if (event.fail) throw new Error('lake unreachable');
    return 'done';
  });
}

const serviceLines = (lines: readonly ReturnType<typeof captureEmf>[number][]) =>
  lines.filter((line) => JSON.stringify(dimensionsOf(line)) === JSON.stringify([[SERVICE_DIMENSION]]));

describe('observability middleware (Powertools logger and metrics)', () => {
  it('publishes one Service line per invocation, the job series at once, each with exactly its dimension', async () => {
    const emf = captureEmf();
    const { handler } = reconcileHandler();

    await expect(handler({}, lambdaContext('req-1'))).resolves.toBe('done');

    const service = serviceLines(emf);
    expect(service).toHaveLength(1);
    expect(service[0]).toMatchObject({ Service: 'reconcile', FailedCheckpoints: [1, 0] });
    expect(service[0]).not.toHaveProperty('service');
    expect(service[0]?._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: METRIC_NAMESPACE,
      Metrics: [{ Name: 'FailedCheckpoints', Unit: 'Count' }],
    });
    const jobs = emf.filter((line) => JSON.stringify(dimensionsOf(line)) === '[["JobName"]]');
    expect(jobs.map((line) => [line.JobName, line.FailedCheckpoints])).toEqual([
      ['orders', 1],
      ['clicks', 0],
    ]);
    expect(jobs.every((line) => line.Service === undefined)).toBe(true);
    expect(emf).toHaveLength(3);
  });

  it('starts every invocation empty: a warm function publishes only that invocation’s values', async () => {
    const emf = captureEmf();
    const { handler } = reconcileHandler();

    await handler({}, lambdaContext('req-1'));
    await handler({}, lambdaContext('req-2'));

    expect(serviceLines(emf).map((line) => line.FailedCheckpoints)).toEqual([
      [1, 0],
      [1, 0],
    ]);
  });

  it('logs and counts a failed invocation in the same one line, and re-throws for Lambda to retry', async () => {
    const emf = captureEmf();
    const { handler, logs } = reconcileHandler();

    await expect(handler({ fail: true }, lambdaContext('req-3'))).rejects.toThrow('Flink unreachable');

    const service = serviceLines(emf);
    expect(service).toHaveLength(1);
    expect(service[0]).toMatchObject({
      Service: 'reconcile',
      FailedCheckpoints: [1, 0],
      InvocationErrors: 1,
    });
    const failed = logs.find((line) => line.message === 'invocation failed');
    expect(failed).toMatchObject({
      level: 'ERROR',
      service: 'reconcile',
      function_name: 'apphub-reconcile',
      function_request_id: 'req-3',
      error: { name: 'Error', message: 'Flink unreachable', cause: { message: 'ECONNREFUSED' } },
    });
  });
});

describe('observability middleware on invocations with and without metrics', () => {
  it('publishes nothing and logs no warning when an invocation stored no metric', async () => {
    const emf = captureEmf();
    const { handler, logs } = batcherHandler();

    await expect(handler({}, lambdaContext('req-empty'))).resolves.toBe('done');

    expect(emf).toEqual([]);
    expect(logs.filter((line) => line.level === 'WARN')).toEqual([]);
  });

  it('publishes one line when the invocation stored a metric, after an empty one on the same warm function', async () => {
    const emf = captureEmf();
    const { handler, logs } = batcherHandler();

    await handler({}, lambdaContext('req-empty'));
    await handler({ records: 3 }, lambdaContext('req-busy'));

    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ Service: 'micro-batcher', RecordsProcessed: 3 });
    expect(logs.filter((line) => line.level === 'WARN')).toEqual([]);
  });

  it('publishes one line with InvocationErrors when an invocation that stored nothing fails', async () => {
    const emf = captureEmf();
    const { handler } = batcherHandler();

    await expect(handler({ fail: true }, lambdaContext('req-fail'))).rejects.toThrow('lake unreachable');

    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ Service: 'micro-batcher', InvocationErrors: 1 });
    expect(emf[0]).not.toHaveProperty('RecordsProcessed');
  });
});

describe('entityTotal', () => {
  /** Three of four jobs down, as a reconcile pass would count them; or no job observed at all. */
  const countJobsNotRunning = (states: Readonly<Record<string, 0 | 1>>) =>
    instrumentedHandler(FunctionFolder.reconcile, async (metrics) => {
      const notRunning = entityTotal(serviceMetricRecorder(metrics), MetricName.jobsNotRunning, 'Count');
      for (const [jobName, value] of Object.entries(states)) {
        notRunning.add(metricRecorder(metrics, { JobName: jobName }), value);
      }
      notRunning.publish();
      return 'done';
    });

  it('puts each job’s 0/1 in its own series and the count, once, in the Service series the dashboard reads', async () => {
    const emf = captureEmf();
    const { handler } = countJobsNotRunning({ orders: 1, clicks: 1, views: 0, carts: 1 });

    await handler({}, lambdaContext('req-4'));

    const service = serviceLines(emf);
    expect(service).toHaveLength(1);
    // One sample of 3: CloudWatch's Maximum is 3 (one sample per job would make it 1).
    expect(service[0]).toMatchObject({ Service: 'reconcile', JobsNotRunning: 3 });
    const jobs = emf.filter((line) => JSON.stringify(dimensionsOf(line)) === '[["JobName"]]');
    expect(jobs.map((line) => [line.JobName, line.JobsNotRunning])).toEqual([
      ['orders', 1],
      ['clicks', 1],
      ['views', 0],
      ['carts', 1],
    ]);
  });

  it('publishes 0 when every job runs, and nothing when no job was observed', async () => {
    const emf = captureEmf();

    await countJobsNotRunning({ orders: 0, clicks: 0 }).handler({}, lambdaContext('req-5'));
    await countJobsNotRunning({}).handler({}, lambdaContext('req-6'));

    expect(serviceLines(emf).map((line) => line.JobsNotRunning)).toEqual([0]);
  });
});

describe('metricRecorder', () => {
  it('records nothing without a metrics object (local tools whose stdout carries an answer)', () => {
    const emf = captureEmf();

    metricRecorder(undefined, { JobName: 'orders' }).add(MetricName.resubmissions, 'Count');

    expect(emf).toEqual([]);
  });
});

describe('createLogger', () => {
  it('writes JSON lines to the sink at or above its level, with the child’s fields and errors with their cause', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('flink-cli', { level: 'warn', sink: (line) => lines.push(JSON.parse(line)) });

    logger.info('not shown');
    logger.child({ jobName: 'orders' }).warn('savepoint slow', {
      error: new Error('timed out', { cause: new Error('socket hang up') }),
    });

    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'WARN',
      message: 'savepoint slow',
      service: 'flink-cli',
      jobName: 'orders',
      error: { name: 'Error', message: 'timed out', cause: { message: 'socket hang up' } },
    });
    expect(typeof lines[0]?.timestamp).toBe('string');
  });

  it('takes its level from LOG_LEVEL, which the CDK option logLevel sets on every Lambda', () => {
    vi.stubEnv('LOG_LEVEL', 'debug');
    const lines: string[] = [];

    createLogger('reconcile', { sink: (line) => lines.push(line) }).debug('polling');
    vi.unstubAllEnvs();
    createLogger('reconcile', { sink: (line) => lines.push(line) }).debug('not shown at the default info');

    expect(lines.map((line) => JSON.parse(line).message)).toEqual(['polling']);
  });
});
