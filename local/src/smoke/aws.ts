import { Agent } from 'node:https';
import { parseSmokeReport, type SmokeReport } from '@apphub/smoke';
import {
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  type LambdaClientConfig,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { smokeFunctionName } from '../../../cdk/lib/function-names.js';
import { LocalError } from '../errors.js';

/** No smoke function of that stack prefix in the account and region. */
export class SmokeFunctionNotFoundError extends LocalError {}

/** The smoke function ran but failed (it could not run the steps); its error message says why. */
export class SmokeFunctionFailedError extends LocalError {}

/** The smoke function's timeout is 15 minutes; the call waits a little longer for its answer. */
const INVOKE_TIMEOUT_MS = 16 * 60_000;

/**
 * A Lambda client for one long synchronous invocation: no retries (a retried call would start a
 * second smoke run) and a socket that stays open with TCP keep-alive for the 15 minutes a run may
 * take, so no idle timeout on the way cuts it.
 */
export function smokeLambdaClient(config: LambdaClientConfig = {}): LambdaClient {
  return new LambdaClient({
    maxAttempts: 1,
    requestHandler: {
      requestTimeout: INVOKE_TIMEOUT_MS,
      httpsAgent: new Agent({ keepAlive: true, keepAliveMsecs: 30_000 }),
    },
    ...config,
  });
}

/**
 * Runs the smoke test inside the deployment of `stackPrefix`: invokes its smoke function
 * (smokeFunctionName) and returns the report it answers.
 */
export async function invokeSmokeFunction(options: {
  readonly stackPrefix: string;
  readonly client: LambdaClient;
  readonly runId?: string | undefined;
}): Promise<SmokeReport> {
  const functionName = smokeFunctionName(options.stackPrefix);
  let answer: InvokeCommandOutput;
  try {
    answer = await options.client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: new TextEncoder().encode(JSON.stringify(options.runId ? { runId: options.runId } : {})),
      }),
    );
  } catch (error) {
    if (error instanceof ResourceNotFoundException) {
      const region = await options.client.config.region();
      throw new SmokeFunctionNotFoundError(
        `no function ${functionName} in ${region}: deploy the stacks with stackPrefix ${options.stackPrefix} (npx cdk deploy --all), or check --stack-prefix and AWS_REGION`,
        { cause: error },
      );
    }
    throw error;
  }
  const text = new TextDecoder().decode(answer.Payload ?? new Uint8Array());
  let payload: unknown;
  try {
    payload = JSON.parse(text);
  } catch {
    payload = text;
  }
  if (answer.FunctionError !== undefined) {
    const message = (payload as { errorMessage?: string }).errorMessage ?? text;
    throw new SmokeFunctionFailedError(
      `${functionName} failed: ${message} (logs: /aws/lambda/${functionName})`,
    );
  }
  return parseSmokeReport(payload, `the answer of ${functionName}`);
}
