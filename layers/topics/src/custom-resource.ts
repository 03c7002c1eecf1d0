import http from 'node:http';
import https from 'node:https';
import type { KafkaClient } from '@apphub/kafka-client';
import { describeError, parseWith, z } from '@apphub/platform';
import { applyTopics } from './apply.js';
import { TopicRequestInvalidError, TopicRequestTimedOutError } from './errors.js';
import { describeAction } from './plan.js';
import { parseTopicSpecs } from './spec.js';

/**
 * A CloudFormation custom-resource request, as far as the topic manager reads it:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requests.html
 */
const requestSchema = z.looseObject({
  RequestType: z.enum(['Create', 'Update', 'Delete']),
  ResponseURL: z.url(),
  StackId: z.string(),
  RequestId: z.string(),
  LogicalResourceId: z.string(),
  PhysicalResourceId: z.string().optional(),
  ResourceProperties: z.looseObject({
    /** The topic specs as one JSON string (CloudFormation hands every scalar property over as text). */
    Topics: z.string(),
  }),
});

export type TopicsRequest = z.output<typeof requestSchema>;

/**
 * The response CloudFormation waits for:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html
 */
export interface TopicsResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  /** One line: what was done, or why the deploy fails. */
  readonly Reason: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data?: Readonly<Record<string, string>>;
}

/** The physical id of the topic set: one per stack, kept across updates (a new id would make CloudFormation delete the old one). */
export const TOPICS_PHYSICAL_ID = 'apphub-streaming-topics';

/** Responses are sent as one JSON document of at most 4,096 bytes; the reason is kept well inside. */
const MAX_REASON = 1_000;

export interface TopicsRequestDependencies {
  /** Opens the Kafka client the request is applied with. */
  readonly connect: () => Promise<KafkaClient>;
  /** Sends the response to the request's pre-signed URL (default: an HTTPS PUT, as CloudFormation expects). */
  readonly respond?: (url: string, response: TopicsResponse) => Promise<void>;
  /** How long the work may take before the request is answered FAILED, so it is always answered. */
  readonly budgetMs?: number;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * Handles one custom-resource request of the topic set and always answers it: Create and Update
 * apply the topic specs of the request (create missing topics, raise partitions, write settings);
 * Delete changes nothing, because topics hold data and are never deleted by a deploy. A failure
 * (a refused partition decrease, an unreachable cluster) answers FAILED with a one-line reason,
 * which CloudFormation shows as the reason the deploy failed.
 */
export async function handleTopicsRequest(
  dependencies: TopicsRequestDependencies,
  event: unknown,
): Promise<TopicsResponse> {
  const request = parseWith(requestSchema, event, 'custom resource request');
  const base = {
    PhysicalResourceId: request.PhysicalResourceId ?? TOPICS_PHYSICAL_ID,
    StackId: request.StackId,
    RequestId: request.RequestId,
    LogicalResourceId: request.LogicalResourceId,
  };
  let response: TopicsResponse;
  try {
    response = { ...base, ...(await withinBudget(dependencies.budgetMs, () => act(dependencies, request))) };
  } catch (error) {
    dependencies.log?.('topic request failed', { error: describeError(error) });
    response = { ...base, Status: 'FAILED', Reason: oneLine(describeError(error)) };
  }
  await (dependencies.respond ?? putResponse)(request.ResponseURL, response);
  return response;
}

async function act(
  dependencies: TopicsRequestDependencies,
  request: TopicsRequest,
): Promise<Pick<TopicsResponse, 'Status' | 'Reason' | 'Data'>> {
  if (request.RequestType === 'Delete') {
    return {
      Status: 'SUCCESS',
      Reason: 'topics are never deleted by a deploy; every topic was left as it is',
    };
  }
  let specs: unknown;
  try {
    specs = JSON.parse(request.ResourceProperties.Topics);
  } catch (error) {
    throw new TopicRequestInvalidError('the Topics property is not JSON', { cause: error });
  }
  const desired = parseTopicSpecs(specs, 'the Topics property');
  const client = await dependencies.connect();
  try {
    const applied = await applyTopics(client, desired);
    for (const action of applied.actions) dependencies.log?.(describeAction(action));
    return {
      Status: 'SUCCESS',
      Reason: oneLine(
        applied.actions.length === 0
          ? `all ${desired.length} topics already as specified`
          : applied.actions.map(describeAction).join('; '),
      ),
      Data: { Changes: String(applied.actions.length), Topics: desired.map((spec) => spec.name).join(',') },
    };
  } finally {
    await client.close().catch(() => undefined);
  }
}

/** Runs `work`, or fails once `budgetMs` has passed (the client is left to the process's end). */
async function withinBudget<T>(budgetMs: number | undefined, work: () => Promise<T>): Promise<T> {
  if (budgetMs === undefined) return work();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new TopicRequestTimedOutError(
            `the topic manager did not finish within ${Math.round(budgetMs / 1000)} s; is Kafka reachable from the function's security group?`,
          ),
        ),
      budgetMs,
    );
  });
  try {
    return await Promise.race([work(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= MAX_REASON ? line : `${line.slice(0, MAX_REASON - 1)}…`;
}

/**
 * PUTs `response` to the pre-signed URL CloudFormation gave, with an empty content type as the URL
 * is signed for; a failed attempt is retried twice.
 */
export async function putResponse(url: string, response: TopicsResponse): Promise<void> {
  const body = JSON.stringify(response);
  const target = new URL(url);
  const transport = target.protocol === 'http:' ? http : https;
  const attempt = () =>
    new Promise<void>((resolve, reject) => {
      const put = transport.request(
        target,
        { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) } },
        (answer) => {
          answer.resume();
          answer.on('end', () =>
            (answer.statusCode ?? 0) < 300
              ? resolve()
              : reject(new Error(`the response URL answered HTTP ${answer.statusCode}`)),
          );
        },
      );
      put.on('error', reject);
      put.setTimeout(10_000, () => put.destroy(new Error('the response URL did not answer within 10 s')));
      put.end(body);
    });
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (tries >= 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000 * tries));
    }
  }
}
