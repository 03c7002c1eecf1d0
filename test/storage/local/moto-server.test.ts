import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { awsClientSettings, platform } from '@apphub/platform';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createProgress,
  motoCommand,
  motoReady,
  stackPaths,
  waitUntil,
} from '../../../local/src/stack/index.js';
import { ensurePythonEnv } from '../../../local/src/stack/installer.js';
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

// DynamoDB keeps every write it acknowledged; the endpoint's journal gives a kill -9 of it the same.
describe('the DynamoDB endpoint with a state file', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'apphub-moto-state-'));
  const stateFile = path.join(scratch, 'state.pickle');
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Starts serve.py on a free port with the state file; resolves to a client once it answers. */
  const startServer = async () => {
    const port = await freePort();
    const [command, ...args] = motoCommand(
      await ensurePythonEnv(stackPaths(), createProgress({ quiet: true })),
      port,
      stateFile,
    );
    server = spawn(command!, args, { stdio: 'ignore' });
    const url = `http://127.0.0.1:${port}`;
    const child = server;
    const answered = await waitUntil('moto', () => motoReady(url), {
      timeoutMs: 60_000,
      intervalMs: 100,
      isAlive: () => child.exitCode === null && child.signalCode === null,
    });
    expect(answered).toBe(true);
    return new DynamoDBClient(awsClientSettings(url, 'dynamodb'));
  };

  it('keeps every acknowledged write through a kill -9 right after it', async () => {
    // Prepare: a table and conditional writes, each answered just before the kill.
    const table = uniqueName('journal');
    const before = await startServer();
    await before.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    for (let value = 1; value <= 20; value += 1) {
      await before.send(
        new PutItemCommand({ TableName: table, Item: { id: { S: 'counter' }, value: { N: String(value) } } }),
      );
    }
    const refused = await before
      .send(
        new PutItemCommand({
          TableName: table,
          Item: { id: { S: 'counter' }, value: { N: '0' } },
          ConditionExpression: 'attribute_not_exists(id)',
        }),
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    before.destroy();

    // Act: kill -9, with no time for the periodic snapshot, then start again on the same file.
    const exited = new Promise((resolve) => server!.once('exit', resolve));
    server!.kill('SIGKILL');
    await exited;
    const after = await startServer();
    const item = await after.send(new GetItemCommand({ TableName: table, Key: { id: { S: 'counter' } } }));
    after.destroy();

    // Assess
    expect(refused).toBeInstanceOf(ConditionalCheckFailedException);
    expect(item.Item?.value).toEqual({ N: '20' });
  });
});

/** A free loopback port, chosen by the kernel. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
