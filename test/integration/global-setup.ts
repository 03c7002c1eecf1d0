import { localControlPlane } from '../../local/src/control-plane/local-plane.js';
import { stackDown, stackStatus, stackUp } from '../../local/src/stack/index.js';
import { removeLeftoverTestJobs } from './leftover-jobs.js';

/**
 * Integration tests run against the real local stack. If it is already up, it is used and left
 * running; otherwise the suite starts it and stops it again at the end (APPHUB_KEEP_STACK=1 keeps it).
 */
export default async function setup(): Promise<(() => Promise<void>) | undefined> {
  const before = await stackStatus();
  if (before.healthy) {
    await forgetLeftovers();
    return undefined;
  }
  const wasStopped = before.components.every((component) => !component.running);
  const after = await stackUp();
  if (!after.healthy) throw new Error(`local stack is not healthy: ${JSON.stringify(after.components)}`);
  await forgetLeftovers();
  if (!wasStopped || process.env.APPHUB_KEEP_STACK === '1') return undefined;
  return async () => {
    await stackDown();
  };
}

/** Jobs an interrupted test run left managed would come back with every JobManager start. */
async function forgetLeftovers(): Promise<void> {
  const removed = await removeLeftoverTestJobs(localControlPlane());
  if (removed.length > 0)
    console.log(`removed ${removed.length} managed test jobs an earlier run left: ${removed.join(', ')}`);
}
