import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  EVENT_SOURCE_SETTING_NAMES,
  type EventSourceSettings,
  parseEventSourceSettings,
} from '@apphub/microbatcher';
import { ConfigInvalidError, describeError } from '@apphub/platform';
import { CONTEXT_PREFIX } from '../../../cdk/lib/config.js';
import { repoRoot } from '../stack/index.js';

/** The CDK app's configuration file; its `context` holds the `apphub:*` options the stacks are built from. */
export const CDK_JSON = path.join(repoRoot, 'cdk.json');

/**
 * The event source mapping's settings as `cdk synth` builds the mapping from them: the keys of
 * cdk.json's context that name a setting (`apphub:batchSize`, ...), parsed with the same schema
 * and defaults as the CDK config. Other `apphub:*` options belong to the CDK and are left alone.
 */
export function loadEventSourceSettings(file = CDK_JSON): EventSourceSettings {
  let context: Record<string, unknown>;
  try {
    context = (JSON.parse(readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {};
  } catch (error) {
    throw new ConfigInvalidError(`cannot read the CDK context from ${file}: ${describeError(error)}`, {
      cause: error,
    });
  }
  const values = Object.fromEntries(
    EVENT_SOURCE_SETTING_NAMES.flatMap((name) => {
      const key = `${CONTEXT_PREFIX}${name}`;
      return key in context ? [[name, context[key]]] : [];
    }),
  );
  return parseEventSourceSettings(values, `${path.basename(file)} context (${CONTEXT_PREFIX}*)`);
}
