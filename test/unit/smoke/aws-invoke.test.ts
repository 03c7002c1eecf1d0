import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigInvalidError } from '@apphub/platform';
import type { SmokeReport } from '@apphub/smoke';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  invokeSmokeFunction,
  SmokeFunctionFailedError,
  SmokeFunctionNotFoundError,
  smokeLambdaClient,
} from '../../../local/src/smoke/aws.js';

const report: SmokeReport = {
  runId: '20261207-110520-beef',
  target: 'aws',
  passed: true,
  steps: [
    { name: 'sample job apphub-tumbling-window', status: 'PASS', seconds: 0.2, detail: 'running as abc' },
  ],
};

/** Lambda's Invoke API on a loopback port: the network, and only the network, is stood in for. */
const requests: { method: string; url: string; body: string; invocationType: unknown }[] = [];
let answer: (response: ServerResponse) => void = () => undefined;
const server = createServer((request: IncomingMessage, response: ServerResponse) => {
  let body = '';
  request.on('data', (chunk) => {
    body += chunk;
  });
  request.on('end', () => {
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      body,
      invocationType: request.headers['x-amz-invocation-type'],
    });
    answer(response);
  });
});
let endpoint = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests.length = 0;
});

const client = () =>
  smokeLambdaClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (response: ServerResponse) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify(body));
  };

describe('npm run smoke -- --target aws', () => {
  it('invokes <stack prefix>-smoke synchronously and returns the report it answers', async () => {
    answer = json(200, report, { 'x-amz-executed-version': '$LATEST' });

    const result = await invokeSmokeFunction({ stackPrefix: 'AppHubStreaming', client: client() });

    expect(result).toEqual(report);
    expect(requests).toEqual([
      {
        method: 'POST',
        url: '/2015-03-31/functions/AppHubStreaming-smoke/invocations',
        body: '{}',
        invocationType: 'RequestResponse',
      },
    ]);
  });

  it('says in one line that no deployment of that prefix exists, and does not retry', async () => {
    answer = json(
      404,
      {
        Type: 'User',
        Message: 'Function not found: arn:aws:lambda:eu-west-1:123456789012:function:Nope-smoke',
      },
      { 'x-amzn-errortype': 'ResourceNotFoundException' },
    );

    const attempt = invokeSmokeFunction({ stackPrefix: 'Nope', client: client() });

    await expect(attempt).rejects.toBeInstanceOf(SmokeFunctionNotFoundError);
    await expect(attempt).rejects.toThrow(
      'no function Nope-smoke in eu-west-1: deploy the stacks with stackPrefix Nope (npx cdk deploy --all), or check --stack-prefix and AWS_REGION',
    );
    expect(requests).toHaveLength(1);
  });

  it("passes on the function's own error message when it could not run", async () => {
    answer = json(
      200,
      {
        errorType: 'ConfigInvalidError',
        errorMessage: 'environment is invalid: APPHUB_FLINK_REST_URL: Invalid URL',
      },
      { 'x-amz-function-error': 'Unhandled' },
    );

    const attempt = invokeSmokeFunction({ stackPrefix: 'AppHubStreaming', client: client() });

    await expect(attempt).rejects.toBeInstanceOf(SmokeFunctionFailedError);
    await expect(attempt).rejects.toThrow(
      'AppHubStreaming-smoke failed: environment is invalid: APPHUB_FLINK_REST_URL: Invalid URL (logs: /aws/lambda/AppHubStreaming-smoke)',
    );
  });

  it('refuses an answer that is not a smoke report, naming the field', async () => {
    answer = json(200, { runId: 'x', passed: 'yes' });

    await expect(invokeSmokeFunction({ stackPrefix: 'AppHubStreaming', client: client() })).rejects.toThrow(
      ConfigInvalidError,
    );
    await expect(invokeSmokeFunction({ stackPrefix: 'AppHubStreaming', client: client() })).rejects.toThrow(
      /^the answer of AppHubStreaming-smoke is invalid: target: /,
    );
  });
});
