import path from 'node:path';
import { ControlPlaneError, type ControlPlaneRefusal } from '@apphub/control-plane';
import { FlinkUnreachableError } from '@apphub/flink';
import { describeError, findLocalEndpoint, type LocalEndpoints, parseLocalEndpoints } from '@apphub/platform';
import { stackPaths } from '../stack/paths.js';
import { flinkProgram } from './flink/shared.js';

/** What a user does when a component of the local stack does not answer. */
export const startStackHint = 'start the local stack with npm run local:up';

/** The next step after a refusal of the control plane, as the command of the local tools to run. */
export function refusalHint(refusal: ControlPlaneRefusal): string {
  switch (refusal.code) {
    case 'job-not-found':
      return `see ${flinkProgram} jobs`;
    case 'job-unmanaged':
      return refusal.restoreFrom === undefined
        ? `submit it with ${flinkProgram} submit ${refusal.jobName}`
        : `submit it with its own tool (e.g. npm run submit:sample -- --from-savepoint ${refusal.restoreFrom})`;
    case 'job-running':
      return `stop it first: ${flinkProgram} stop ${refusal.jobName}`;
    case 'savepoint-missing':
      return `take one with ${flinkProgram} savepoint ${refusal.jobName}, or choose another restore`;
  }
}

interface Address {
  readonly host: string;
  readonly port: number;
}

/**
 * The address of a connection that got no answer, found along `error`'s causes: a Flink client's
 * FlinkUnreachableError (refused or timed out, its URL), or Node's refused socket (its address and
 * port, as the AWS SDK and the Kafka client pass it on as a cause; several at once in an
 * AggregateError when a name resolves to more than one address, or after the Kafka client's retries).
 */
export function unansweredAddress(error: unknown, seen = new Set<unknown>()): Address | undefined {
  if (typeof error !== 'object' || error === null || seen.has(error)) return undefined;
  seen.add(error);
  if (error instanceof FlinkUnreachableError) {
    const url = new URL(error.url);
    return { host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) };
  }
  const { code, address, port } = error as Record<string, unknown>;
  if (code === 'ECONNREFUSED' && typeof address === 'string' && typeof port === 'number') {
    return { host: address, port };
  }
  const nested = [(error as { cause?: unknown }).cause, ...((error as { errors?: unknown[] }).errors ?? [])];
  for (const inner of nested) {
    const found = unansweredAddress(inner, seen);
    if (found) return found;
  }
  return undefined;
}

/**
 * The file of the local stack's folder (.local, or APPHUB_STACK_DIR) a failed read looked for, such as
 * the Kafka TLS CA that `npm run local:up` creates, relative to that folder.
 */
function missingStackFile(error: unknown, env: NodeJS.ProcessEnv): string | undefined {
  const { code, path: file } = (error ?? {}) as { code?: unknown; path?: unknown };
  if (code !== 'ENOENT' || typeof file !== 'string') return undefined;
  const relative = path.relative(stackPaths(env.APPHUB_STACK_DIR).stack, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? undefined : relative;
}

/**
 * The one line a CLI prints for a failure (after `error: `): a component of the local stack that does
 * not answer, or a file the stack creates that is missing, is named with how to start the stack; a
 * refusal of the control plane gets the command to run next; anything else is its message as it is.
 */
export function errorLine(error: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const unanswered = unansweredAddress(error);
  const endpoints = unanswered ? localEndpointsOf(env) : undefined;
  const endpoint = unanswered && endpoints ? findLocalEndpoint(endpoints, unanswered) : undefined;
  if (endpoint) return `${endpoint.component} at ${endpoint.address} is not answering: ${startStackHint}`;
  const missing = missingStackFile(error, env);
  if (missing) return `the local stack's ${missing} does not exist yet: ${startStackHint}`;
  const message = error instanceof Error ? error.message : describeError(error);
  const refusal = error instanceof ControlPlaneError ? error.refusal : undefined;
  return refusal ? `${message}; ${refusalHint(refusal)}` : message;
}

/** The endpoints the failed command used; none when the environment does not parse (that is its error). */
function localEndpointsOf(env: NodeJS.ProcessEnv): LocalEndpoints | undefined {
  try {
    return parseLocalEndpoints(env);
  } catch {
    return undefined;
  }
}
