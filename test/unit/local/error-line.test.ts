import {
  ControlPlaneJobStateError,
  ControlPlaneJobUnknownError,
  ControlPlaneRestoreMissingError,
} from '@apphub/control-plane';
import { FlinkRestClient, SqlGatewayClient } from '@apphub/flink';
import { connectKafka } from '@apphub/kafka-client';
import { createAwsClients, parseLocalEndpoints } from '@apphub/platform';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { errorLine } from '../../../local/src/cli/error-line.js';
import { closedPort, stackDownEnvironment } from '../../support/closed-ports.js';

const failure = (call: Promise<unknown>) =>
  call.then(
    () => expect.unreachable('the call succeeded'),
    (error: unknown) => error,
  );

describe('the error line of a CLI', () => {
  it('names the component of the local stack that does not answer, and how to start it', async () => {
    const env = await stackDownEnvironment();
    const endpoints = parseLocalEndpoints(env);
    const aws = createAwsClients(endpoints);

    // Each client as the CLIs build it, against its closed port: the errors are the real ones.
    const errors = await Promise.all([
      failure(
        connectKafka({
          clientId: 'apphub-test',
          brokers: endpoints.brokers,
          security: { protocol: 'PLAINTEXT' },
        }),
      ),
      failure(new FlinkRestClient({ baseUrl: endpoints.flinkRestUrl, retries: 0 }).overview()),
      failure(new SqlGatewayClient({ baseUrl: endpoints.sqlGatewayUrl, retries: 0 }).openSession()),
      failure(aws.s3.send(new ListBucketsCommand({}))),
      failure(aws.dynamodb.send(new ListTablesCommand({}))),
    ]);

    expect(errors.map((error) => errorLine(error, env))).toEqual([
      `the Kafka broker at ${env.APPHUB_STREAM_BROKER_URL} is not answering: start the local stack with npm run local:up`,
      `the Flink JobManager REST API at ${env.APPHUB_FLINK_REST_URL} is not answering: start the local stack with npm run local:up`,
      `the Flink SQL Gateway at ${env.APPHUB_SQL_GATEWAY_URL} is not answering: start the local stack with npm run local:up`,
      `the S3 endpoint (MinIO) at ${env.APPHUB_S3_ENDPOINT_URL} is not answering: start the local stack with npm run local:up`,
      `the DynamoDB endpoint (moto) at ${env.APPHUB_AWS_ENDPOINT_URL} is not answering: start the local stack with npm run local:up`,
    ]);
  });

  it('keeps the message of a refused connection to an address that is not the local stack', async () => {
    const env = await stackDownEnvironment();
    const elsewhere = `http://127.0.0.1:${await closedPort()}`;

    const error = await failure(new FlinkRestClient({ baseUrl: elsewhere, retries: 0 }).overview());

    expect(errorLine(error, env)).toBe(`Flink JobManager REST API not reachable at ${elsewhere}`);
  });

  it("adds the command to run next to a control-plane refusal's message, by its code", () => {
    const refusals: [Error, string][] = [
      [
        new ControlPlaneJobUnknownError('no running Flink job named orders', {
          refusal: { code: 'job-not-found', jobName: 'orders' },
        }),
        'no running Flink job named orders; see npm run flink -- jobs',
      ],
      [
        new ControlPlaneJobUnknownError('Cannot rescale orders: it is not managed by the control plane', {
          refusal: { code: 'job-unmanaged', jobName: 'orders' },
        }),
        'Cannot rescale orders: it is not managed by the control plane; submit it with npm run flink -- submit orders',
      ],
      [
        new ControlPlaneJobUnknownError(
          'orders is not managed by the control plane, so its SQL is unknown here',
          {
            refusal: { code: 'job-unmanaged', jobName: 'orders', restoreFrom: 's3://sp/1' },
          },
        ),
        'orders is not managed by the control plane, so its SQL is unknown here; submit it with its own tool (e.g. npm run submit:sample -- --from-savepoint s3://sp/1)',
      ],
      [
        new ControlPlaneJobStateError('orders is running (j1)', {
          refusal: { code: 'job-running', jobName: 'orders' },
        }),
        'orders is running (j1); stop it first: npm run flink -- stop orders',
      ],
      [
        new ControlPlaneRestoreMissingError(
          'Cannot restore orders from its latest savepoint: none completed is recorded',
          {
            refusal: { code: 'savepoint-missing', jobName: 'orders' },
          },
        ),
        'Cannot restore orders from its latest savepoint: none completed is recorded; take one with npm run flink -- savepoint orders, or choose another restore',
      ],
      [
        new ControlPlaneJobStateError('Cannot rescale orders: a savepoint is in flight'),
        'Cannot rescale orders: a savepoint is in flight',
      ],
    ];

    expect(refusals.map(([error]) => errorLine(error, {}))).toEqual(refusals.map(([, line]) => line));
  });
});
