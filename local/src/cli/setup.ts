import { createProgress, stackPaths } from '../stack/index.js';
import {
  ensureFlinkPlugins,
  ensureJars,
  ensureJavaLibraries,
  ensureMinio,
  ensurePythonEnv,
} from '../stack/installer.js';
import { checkPrerequisites } from '../stack/prerequisites.js';
import { defineCommand, runCli } from './run-cli.js';

/**
 * Installs what the stack and the test suite download or build (jars, Flink plugins, the Java
 * libraries of local/jars and infra/flink-format, the Python venv with moto and supervisor, MinIO); a no-op when current.
 */
export const cli = defineCommand({
  program: 'npm run setup --',
  summary: 'Installs the jars, Flink plugins, Python venv and MinIO the stack and the tests use.',
  details: () => 'A no-op when everything is current.',
  options: {},
  async run() {
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
    await ensureJavaLibraries(paths, flinkJars, progress);
    progress.step(
      'setup complete: jars in .cache/jars, plugins in .cache/flink-plugins, venv in .cache/venv, MinIO in .cache/minio',
    );
    return 0;
  },
});

runCli(cli, import.meta.url);
