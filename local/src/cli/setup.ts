import { createProgress, stackPaths } from '../stack/index.js';
import { ensureJars, ensureLoopbackReporter, ensurePythonEnv } from '../stack/installer.js';
import { checkPrerequisites } from '../stack/prerequisites.js';
import { runCli } from './run-cli.js';

/** Installs what the stack and the test suite download (jars, loopback reporter, Python venv); a no-op when current. */
runCli(async () => {
  const progress = createProgress();
  const paths = stackPaths();
  checkPrerequisites();
  const [flinkJars] = await Promise.all([
    ensureJars(paths, 'flink', progress),
    ensureJars(paths, 'kafka', progress),
    ensurePythonEnv(paths, progress),
  ]);
  await ensureLoopbackReporter(paths, flinkJars, progress);
  progress.step('setup complete: jars in .cache/jars, Python venv in .cache/venv');
  return 0;
});
