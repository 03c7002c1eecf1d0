import { stackDown, stackStatus, stackUp } from '../../local/src/stack/index.js';

/**
 * Integration tests run against the real local stack. If it is already up, it is used and left
 * running; otherwise the suite starts it and stops it again at the end (APPHUB_KEEP_STACK=1 keeps it).
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const before = await stackStatus();
  if (before.healthy) return undefined;
  const wasStopped = before.components.every((component) => !component.running);
  const after = await stackUp();
  if (!after.healthy) throw new Error(`local stack is not healthy: ${JSON.stringify(after.components)}`);
  if (!wasStopped || process.env.APPHUB_KEEP_STACK === '1') return undefined;
  return async () => {
    await stackDown();
  };
}
