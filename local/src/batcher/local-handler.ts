import { parseBatcherConfig, sampleBatchersJson } from '@apphub/microbatcher';
import type { LoggerOptions } from '@apphub/observability';
import { type LocalEndpoints, platform } from '@apphub/platform';
import { createHandler } from '../../../functions/micro-batcher/create-handler.js';
import { loadLocalMapping } from './settings.js';

/** The ARN the local handler's context reports, and local failed-batch records name. */
export const LOCAL_FUNCTION_ARN = 'arn:aws:lambda:local:000000000000:function:micro-batcher';

export interface LocalHandler {
  /** The deployed function's handler, called with a Lambda-like context. */
  readonly invoke: (event: unknown) => Promise<unknown>;
  readonly descriptorsJson: string;
  /** True when TIMESTORE_STREAMING_BATCHERS was unset and the sample descriptor is used. */
  readonly usesSampleDescriptor: boolean;
}

/**
 * The micro-batcher function's handler (functions/micro-batcher, the same middy wiring Lambda runs)
 * with the configuration the CDK stack gives it in AWS, pointed at the local stack:
 * TIMESTORE_STREAMING_BATCHERS (the sample descriptor when unset), APPHUB_DATA_LAKE_BUCKET and
 * APPHUB_WATERMARK_TABLE read from `env`, parsed with the function's own schema. Each invocation gets
 * the deployed function's timeout (`timeoutSeconds`, default microBatcherTimeoutSeconds of cdk.json),
 * the time it may spend riding out a storage outage. Each call builds its own handler, so handlers
 * with different descriptors can run side by side in one process.
 */
export async function loadLocalHandler(
  endpoints: LocalEndpoints,
  env: NodeJS.ProcessEnv = process.env,
  options: { readonly timeoutSeconds?: number; readonly logger?: LoggerOptions } = {},
): Promise<LocalHandler> {
  const usesSampleDescriptor =
    env.TIMESTORE_STREAMING_BATCHERS === undefined || env.TIMESTORE_STREAMING_BATCHERS === '';
  const descriptorsJson = usesSampleDescriptor ? sampleBatchersJson : env.TIMESTORE_STREAMING_BATCHERS!;
  const config = parseBatcherConfig({
    TIMESTORE_STREAMING_BATCHERS: descriptorsJson,
    APPHUB_DATA_LAKE_BUCKET: env.APPHUB_DATA_LAKE_BUCKET ?? platform.storage.dataLakeBucket,
    APPHUB_WATERMARK_TABLE: env.APPHUB_WATERMARK_TABLE ?? platform.storage.watermarkTable,
    APPHUB_AWS_ENDPOINT_URL: endpoints.awsEndpointUrl,
    APPHUB_S3_ENDPOINT_URL: endpoints.s3EndpointUrl,
  });
  const handler = createHandler(config, options.logger ? { logger: options.logger } : {});
  const timeoutMs = (options.timeoutSeconds ?? loadLocalMapping().functionTimeoutSeconds) * 1000;
  let invocation = 0;
  return {
    descriptorsJson,
    usesSampleDescriptor,
    invoke: (event) => handler(event, lambdaContext(`local-${process.pid}-${++invocation}`, { timeoutMs })),
  };
}

/**
 * The context Lambda passes a handler, for a local invocation of `functionName`: the request id, and
 * the remaining time of an invocation that may run `timeoutMs` (Lambda's maximum, 15 minutes, unless
 * given), counted from now.
 */
export function lambdaContext(
  awsRequestId: string,
  options: { functionName?: string; timeoutMs?: number } = {},
) {
  const functionName = options.functionName ?? 'micro-batcher';
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  return {
    awsRequestId,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn:
      functionName === 'micro-batcher'
        ? LOCAL_FUNCTION_ARN
        : `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
