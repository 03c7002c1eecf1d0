import { createProgress, stackPaths } from '../stack/index.js';
import {
  ensureFlinkPlugins,
  ensureJars,
  ensureLoopbackReporter,
  ensureMinio,
  ensurePythonEnv,
} from '../stack/installer.js';
import { checkPrerequisites } from '../stack/prerequisites.js';
import { runCli } from './run-cli.js';

/**
 * Installs what the stack and the test suite download or build (jars, Flink plugins, the loopback
 * reporter, the Python venv with moto and supervisor, MinIO); a no-op when current.
 */
runCli(async () => {
  const progress = createProgress();
  const paths = stackPaths();
  checkPrerequisites();
  const [flinkJars] = await Promise.all([
    ensureJars(paths, 'flink', progress),
    ensureJars(paths, 'kafka', progress),
    ensureFlinkPlugins(paths, progress),
    ensurePythonEnv(paths, progress),
    ensureMinio(paths, progress),
  ]);
  await ensureLoopbackReporter(paths, flinkJars, progress);
  progress.step(
    'setup complete: jars in .cache/jars, plugins in .cache/flink-plugins, venv in .cache/venv, MinIO in .cache/minio',
  );
  return 0;
});
