import { parseBatcherDescriptors, sampleBatchersJson } from '@apphub/microbatcher';
import { type LocalEndpoints, platform } from '@apphub/platform';

/** Variables the micro-batcher function reads, set for it locally as the CDK stack sets them in AWS. */
const handlerVariables = [
  'TIMESTORE_STREAMING_BATCHERS',
  'APPHUB_DATA_LAKE_BUCKET',
  'APPHUB_WATERMARK_TABLE',
  'APPHUB_AWS_ENDPOINT_URL',
  'APPHUB_S3_ENDPOINT_URL',
];

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
 * Loads functions/micro-batcher/handler.ts with the environment it gets in AWS, pointed at the
 * local stack. The handler parses its environment once at import (cold start); the variables are
 * removed again afterwards because the local tools reject APPHUB_* names they do not know.
 */
export async function loadLocalHandler(
  endpoints: LocalEndpoints,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LocalHandler> {
  const usesSampleDescriptor =
    env.TIMESTORE_STREAMING_BATCHERS === undefined || env.TIMESTORE_STREAMING_BATCHERS === '';
  const descriptorsJson = usesSampleDescriptor ? sampleBatchersJson : env.TIMESTORE_STREAMING_BATCHERS!;
  parseBatcherDescriptors(descriptorsJson);
  const values: Record<string, string> = {
    TIMESTORE_STREAMING_BATCHERS: descriptorsJson,
    APPHUB_DATA_LAKE_BUCKET: env.APPHUB_DATA_LAKE_BUCKET ?? platform.storage.dataLakeBucket,
    APPHUB_WATERMARK_TABLE: env.APPHUB_WATERMARK_TABLE ?? platform.storage.watermarkTable,
    APPHUB_AWS_ENDPOINT_URL: endpoints.awsEndpointUrl,
    APPHUB_S3_ENDPOINT_URL: endpoints.s3EndpointUrl,
  };
  const saved = Object.fromEntries(handlerVariables.map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  try {
    const { handler } = await import('../../../functions/micro-batcher/handler.js');
    let invocation = 0;
    return {
      descriptorsJson,
      usesSampleDescriptor,
      invoke: (event) => handler(event, lambdaContext(`local-${process.pid}-${++invocation}`)),
    };
  } finally {
    for (const name of handlerVariables) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
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
