import { AppHubError, describeError } from '@apphub/platform/settings';
import { App } from 'aws-cdk-lib';
import { ENABLE_FLAG, parseAppConfig } from '../lib/config.js';
import { addStreamingStacks } from '../lib/streaming-app.js';

const app = new App();
let stacks: ReturnType<typeof addStreamingStacks>;
try {
  stacks = addStreamingStacks(app, parseAppConfig(app.node.getAllContext(), process.env));
} catch (error) {
  // Bad options and settings the stacks refuse: one line, no stack trace; anything else is a bug.
  if (!(error instanceof AppHubError)) throw error;
  process.stderr.write(`${describeError(error)}\n`);
  process.exit(1);
}
if (stacks === undefined) {
  process.stderr.write(`${ENABLE_FLAG} is not 1: no streaming stacks were synthesized.\n`);
}
app.synth();
