import { describeError } from '@apphub/platform';
import { App } from 'aws-cdk-lib';
import { ENABLE_FLAG, parseAppConfig } from '../lib/config.js';
import { addStreamingStacks } from '../lib/streaming-app.js';

const app = new App();
let config: ReturnType<typeof parseAppConfig>;
try {
  config = parseAppConfig(app.node.getAllContext(), process.env);
} catch (error) {
  process.stderr.write(`${describeError(error)}\n`);
  process.exit(1);
}
const stacks = addStreamingStacks(app, config);
if (stacks === undefined) {
  process.stderr.write(`${ENABLE_FLAG} is not 1: no streaming stacks were synthesized.\n`);
}
app.synth();
