import { Agent } from 'node:http';
import type { Duplex } from 'node:stream';
import { awsClientSettings, platform } from '@apphub/platform';
import {
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { endpoints, uniqueName } from '../helpers.js';

/** An HTTP agent that counts the connections it opens. */
class CountingAgent extends Agent {
  opened = 0;

  override createConnection(...args: Parameters<Agent['createConnection']>): Duplex | null | undefined {
    this.opened += 1;
    return super.createConnection(...args);
  }
}

// local/moto/serve.py: the DynamoDB endpoint keeps connections open, as DynamoDB does; werkzeug's
// development server closes each one, which cost every request a connection of its own.
describe('the DynamoDB endpoint (local/moto/serve.py)', () => {
  const agent = new CountingAgent({ keepAlive: true, maxSockets: 1 });
  const dynamodb = new DynamoDBClient({
    ...awsClientSettings(endpoints.awsEndpointUrl, 'dynamodb'),
    requestHandler: { httpAgent: agent },
  });
  afterAll(() => {
    dynamodb.destroy();
    agent.destroy();
  });

  it('answers successive requests, errors included, on one kept connection', async () => {
    const first = await dynamodb.send(new ListTablesCommand({}));
    const missing = await dynamodb.send(new DescribeTableCommand({ TableName: uniqueName('missing') })).then(
      () => undefined,
      (error: unknown) => error,
    );
    const described = await dynamodb.send(
      new DescribeTableCommand({ TableName: platform.storage.watermarkTable }),
    );
    const last = await dynamodb.send(new ListTablesCommand({}));

    expect(first.TableNames).toContain(platform.storage.watermarkTable);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect(described.Table?.TableName).toBe(platform.storage.watermarkTable);
    expect(last.TableNames).toEqual(first.TableNames);
    expect(agent.opened).toBe(1);
  });
});
