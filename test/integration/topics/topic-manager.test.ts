import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectKafka, type KafkaClient } from '@apphub/kafka-client';
import {
  applyTopics,
  handleTopicsRequest,
  TopicPartitionDecreaseError,
  type TopicSpec,
  type TopicsResponse,
} from '@apphub/topics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localKafkaSecurity } from '../../../local/src/stack/index.js';
import { createTopic, endpoints, kafka, uniqueName } from '../helpers.js';

/** The topic manager reaches the local Kafka as it reaches MSK: over TLS, trusting the cluster's CA. */
function connect(): Promise<KafkaClient> {
  return connectKafka({
    clientId: 'apphub-topic-manager-test',
    brokers: endpoints.tlsBrokers,
    security: localKafkaSecurity(),
  });
}

let client: KafkaClient;
beforeAll(async () => {
  client = await connect();
});
afterAll(() => client?.close());

/** What the broker says about `name`, read by the tools' plaintext client, not the one under test. */
async function inspect(name: string): Promise<{ partitions: number; config: Record<string, string> }> {
  const [topic] = (await kafka.observe([name])).topics;
  return { partitions: topic?.partitions ?? 0, config: { ...topic?.config } };
}

/** Which of `names` exist. */
async function topicNames(...names: string[]): Promise<string[]> {
  return (await kafka.observe(names)).topics.map((topic) => topic.name);
}

async function configure(name: string, config: Record<string, string>): Promise<void> {
  await kafka.setTopicConfig(name, config);
}

const day = String(24 * 3_600_000);
const week = String(7 * 24 * 3_600_000);

describe('the topic manager on the real local Kafka', () => {
  it('creates missing topics with their partitions and settings', async () => {
    const specs: TopicSpec[] = [
      { name: uniqueName('it-topics-a'), partitions: 3, config: { 'retention.ms': week } },
      {
        name: uniqueName('it-topics-b'),
        partitions: 2,
        config: { 'retention.ms': day, 'cleanup.policy': 'compact' },
      },
    ];

    const applied = await applyTopics(client, specs);

    expect(applied.actions.map((action) => action.kind)).toEqual(['create', 'create']);
    expect(await inspect(specs[0]!.name)).toEqual({ partitions: 3, config: { 'retention.ms': week } });
    expect(await inspect(specs[1]!.name)).toEqual({
      partitions: 2,
      config: { 'retention.ms': day, 'cleanup.policy': 'compact' },
    });
  });

  it('applies the retention to an existing topic, raises its partitions and keeps the settings it has of its own', async () => {
    const name = uniqueName('it-topics-existing');
    await createTopic(name, 2);
    await configure(name, { 'retention.ms': day, 'max.message.bytes': '2097152' });

    const applied = await applyTopics(client, [{ name, partitions: 4, config: { 'retention.ms': week } }]);

    expect(applied.actions.map((action) => action.kind)).toEqual(['add-partitions', 'set-config']);
    expect(await inspect(name)).toEqual({
      partitions: 4,
      config: { 'retention.ms': week, 'max.message.bytes': '2097152' },
    });
  });

  it('refuses a partition decrease with one line, before changing anything', async () => {
    const shrunk = uniqueName('it-topics-shrunk');
    const missing = uniqueName('it-topics-not-created');
    await createTopic(shrunk, 3);
    await configure(shrunk, { 'retention.ms': day });

    const attempt = applyTopics(client, [
      { name: missing, partitions: 1, config: { 'retention.ms': day } },
      { name: shrunk, partitions: 2, config: { 'retention.ms': week } },
    ]);

    await expect(attempt).rejects.toBeInstanceOf(TopicPartitionDecreaseError);
    await expect(attempt).rejects.toThrow(
      `refused: topic ${shrunk} has 3 partitions and the spec asks for 2; Kafka cannot remove partitions, so no topic was changed: keep partitions at least at the current count in infra/platform.json topics`,
    );
    expect(await inspect(shrunk)).toEqual({ partitions: 3, config: { 'retention.ms': day } });
    expect(await topicNames(missing)).not.toContain(missing);
  });

  it('changes nothing when run again', async () => {
    const specs: TopicSpec[] = [
      { name: uniqueName('it-topics-again'), partitions: 2, config: { 'retention.ms': day } },
    ];
    await applyTopics(client, specs);

    const again = await applyTopics(client, specs);

    expect(again).toEqual({ actions: [], unchanged: [specs[0]!.name] });
  });

  it('never deletes a topic: one the spec leaves out stays as it is', async () => {
    const kept = uniqueName('it-topics-kept');
    const listed = uniqueName('it-topics-listed');
    await createTopic(kept, 2);

    await applyTopics(client, [{ name: listed, partitions: 1, config: { 'retention.ms': day } }]);

    expect(await topicNames(kept, listed)).toEqual(expect.arrayContaining([kept, listed]));
    expect((await inspect(kept)).partitions).toBe(2);
  });
});

describe('the topic manager as a CloudFormation custom resource', () => {
  // CloudFormation's pre-signed response URL, stood in for by a server that keeps what it is sent.
  const received: { method: string; contentType: string | undefined; body: TopicsResponse }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        contentType: request.headers['content-type'],
        body: JSON.parse(body) as TopicsResponse,
      });
      response.end();
    });
  });
  let responseUrl = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response?signature=x`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const request = (type: 'Create' | 'Update' | 'Delete', topics: readonly TopicSpec[]) => ({
    RequestType: type,
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/AppHubStreamingFunctions/1',
    RequestId: uniqueName('request'),
    ResourceType: 'Custom::KafkaTopics',
    LogicalResourceId: 'Topics',
    ...(type === 'Create' ? {} : { PhysicalResourceId: 'apphub-streaming-topics' }),
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:tm',
      Topics: JSON.stringify(topics),
    },
  });

  it('answers SUCCESS after creating the topics, and on Delete leaves them all in place', async () => {
    const specs: TopicSpec[] = [
      { name: uniqueName('it-topics-cr'), partitions: 2, config: { 'retention.ms': day } },
    ];

    const created = await handleTopicsRequest({ connect }, request('Create', specs));
    const deleted = await handleTopicsRequest({ connect }, request('Delete', specs));

    expect(created).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'apphub-streaming-topics' });
    expect(received.map((answer) => [answer.method, answer.contentType, answer.body])).toEqual([
      ['PUT', '', created],
      ['PUT', '', deleted],
    ]);
    expect(deleted).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'apphub-streaming-topics' });
    expect(await inspect(specs[0]!.name)).toEqual({ partitions: 2, config: { 'retention.ms': day } });
  });

  it('answers FAILED with the one-line refusal as the reason the deploy fails', async () => {
    const name = uniqueName('it-topics-cr-shrunk');
    await createTopic(name, 3);
    received.length = 0;

    const answer = await handleTopicsRequest(
      { connect },
      request('Update', [{ name, partitions: 1, config: { 'retention.ms': day } }]),
    );

    expect(answer.Status).toBe('FAILED');
    expect(answer.Reason).toBe(
      `refused: topic ${name} has 3 partitions and the spec asks for 1; Kafka cannot remove partitions, so no topic was changed: keep partitions at least at the current count in infra/platform.json topics`,
    );
    expect(received.map((each) => each.body)).toEqual([answer]);
    expect((await inspect(name)).partitions).toBe(3);
  });
});
