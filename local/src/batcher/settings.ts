import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  EVENT_SOURCE_SETTING_NAMES,
  type EventSourceSettings,
  parseEventSourceSettings,
} from '@apphub/microbatcher';
import { ConfigInvalidError, describeError, parseWith } from '@apphub/platform';
import { CONTEXT_PREFIX, microBatcherTimeoutSchema, stackPrefixSchema } from '../../../cdk/lib/config.js';
import { repoRoot } from '../stack/index.js';

/** The CDK app's configuration file; its `context` holds the `apphub:*` options the stacks are built from. */
export const CDK_JSON = path.join(repoRoot, 'cdk.json');

/** What `npm run batcher` takes from the CDK context to run as the deployed mapping does. */
export interface LocalMapping {
  /** The event source mapping's settings. */
  readonly settings: EventSourceSettings;
  /** The deployment's stack prefix: the consumer groups are derived from it (consumerGroupIdFor). */
  readonly stackPrefix: string;
  /** The micro-batcher function's timeout: how long one invocation may ride out a storage outage. */
  readonly functionTimeoutSeconds: number;
}

function readContext(file: string): Record<string, unknown> {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
  } catch (error) {
    throw new ConfigInvalidError(`cannot read the CDK context from ${file}: ${describeError(error)}`, {
      cause: error,
    });
  }
}

/**
 * The event source mapping as `cdk synth` builds it: the keys of cdk.json's context that name a
 * setting (`apphub:batchSize`, ...), the stack prefix and the function's timeout, parsed with the
 * same schemas and defaults as the CDK config. Other `apphub:*` options belong to the CDK.
 */
export function loadLocalMapping(file = CDK_JSON): LocalMapping {
  const context = readContext(file);
  const where = `${path.basename(file)} context (${CONTEXT_PREFIX}*)`;
  const values = Object.fromEntries(
    EVENT_SOURCE_SETTING_NAMES.flatMap((name) => {
      const key = `${CONTEXT_PREFIX}${name}`;
      return key in context ? [[name, context[key]]] : [];
    }),
  );
  return Object.freeze({
    settings: parseEventSourceSettings(values, where),
    stackPrefix: parseWith(
      stackPrefixSchema,
      context[`${CONTEXT_PREFIX}stackPrefix`],
      `${where} stackPrefix`,
    ),
    functionTimeoutSeconds: parseWith(
      microBatcherTimeoutSchema,
      context[`${CONTEXT_PREFIX}microBatcherTimeoutSeconds`],
      `${where} microBatcherTimeoutSeconds`,
    ),
  });
}

/** The event source mapping's settings alone (see loadLocalMapping). */
export function loadEventSourceSettings(file = CDK_JSON): EventSourceSettings {
  return loadLocalMapping(file).settings;
}
