import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { platform } from '@apphub/platform';
import { StackInstallFailedError } from './errors.js';
import { repoRoot, type StackPaths } from './paths.js';
import type { Progress } from './progress.js';

/** The jar sets the native stack needs, each a Maven project under local/jars/<name>. */
export type JarSet = 'flink' | 'kafka';

function mavenProperties(set: JarSet): Record<string, string> {
  const { versions } = platform;
  return set === 'flink'
    ? {
        'flink.version': versions.flink,
        'flink.kafka.connector.version': versions.flinkKafkaConnector,
        'log4j.version': versions.log4j,
      }
    : { 'kafka.version': versions.kafka, 'log4j.version': versions.log4j };
}

/** Python packages of the local venv, pinned from platform.json. */
export function pythonRequirements(): string[] {
  const { versions } = platform;
  return [
    `moto[server]==${versions.moto}`,
    `pyarrow==${versions.pyarrow}`,
    `cfn-lint==${versions.cfnLint}`,
    `kubernetes-validate==${versions.kubernetesValidate}`,
  ];
}

/** Classpath (jar paths) of a jar set, resolving it with Maven first when the pinned versions changed. */
export async function ensureJars(paths: StackPaths, set: JarSet, progress: Progress): Promise<string[]> {
  const target = path.join(paths.jars, set);
  const marker = path.join(target, '.resolved.json');
  const pom = path.join(repoRoot, 'local', 'jars', set, 'pom.xml');
  // The pinned versions and the pom's own content: editing either resolves the set again.
  const wanted = JSON.stringify({
    ...mavenProperties(set),
    pom: createHash('sha256').update(readFileSync(pom)).digest('hex').slice(0, 16),
  });
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return listJars(target);

  progress.step(
    `resolving ${set} jars from Maven Central (${Object.values(mavenProperties(set)).join(', ')})`,
  );
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  const args = [
    '-B',
    '-f',
    pom,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${target}`,
    ...Object.entries(mavenProperties(set)).map(([key, value]) => `-D${key}=${value}`),
  ];
  let downloaded = 0;
  await run('mvn', args, `mvn dependency:copy-dependencies for ${set}`, (line) => {
    const match = /^Downloaded from \S+: \S+\/([^/]+\.jar) /.exec(line);
    if (match) {
      downloaded += 1;
      if (downloaded % 10 === 1)
        progress.detail(`${set}: ${downloaded} jars downloaded (latest ${match[1]})`);
    }
  });
  writeFileSync(marker, wanted);
  const jars = listJars(target);
  progress.detail(`${set}: ${jars.length} jars ready in ${path.relative(repoRoot, target)}`);
  return jars;
}

/**
 * Builds the loopback-bound Prometheus reporter (local/jars/reporter) against the resolved Flink
 * jars with javac, once per source change; the native stack adds it to the Flink classpath.
 */
export async function ensureLoopbackReporter(
  paths: StackPaths,
  flinkJars: readonly string[],
  progress: Progress,
): Promise<string> {
  const sources = path.join(repoRoot, 'local', 'jars', 'reporter', 'src');
  const javaFiles = readdirSync(path.join(sources, 'org/apache/flink/metrics/prometheus')).map((name) =>
    path.join(sources, 'org/apache/flink/metrics/prometheus', name),
  );
  const digest = createHash('sha256');
  for (const file of javaFiles.sort()) digest.update(readFileSync(file));
  const jar = path.join(
    paths.jars,
    'reporter',
    `apphub-loopback-reporter-${digest.digest('hex').slice(0, 12)}.jar`,
  );
  if (existsSync(jar)) return jar;

  progress.step('building the loopback Prometheus reporter (javac)');
  const classes = path.join(paths.jars, 'reporter', 'classes');
  rmSync(path.join(paths.jars, 'reporter'), { recursive: true, force: true });
  mkdirSync(classes, { recursive: true });
  await run(
    'javac',
    ['-nowarn', '-d', classes, '-cp', flinkJars.join(':'), ...javaFiles],
    'javac of the loopback reporter',
  );
  cpSync(path.join(sources, 'META-INF'), path.join(classes, 'META-INF'), { recursive: true });
  await run('jar', ['cf', jar, '-C', classes, '.'], 'jar of the loopback reporter');
  return jar;
}

function listJars(directory: string): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith('.jar'))
    .sort()
    .map((name) => path.join(directory, name));
}

/** Creates the git-ignored venv with the pinned Python packages, unless it already has them. */
export async function ensurePythonEnv(paths: StackPaths, progress: Progress): Promise<string> {
  const python = path.join(paths.venv, 'bin', 'python');
  const marker = path.join(paths.venv, '.requirements.json');
  const wanted = JSON.stringify(pythonRequirements());
  if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) return python;

  progress.step(
    `creating Python venv in ${path.relative(repoRoot, paths.venv)} (${pythonRequirements().join(', ')})`,
  );
  if (!existsSync(python)) await run('python3', ['-m', 'venv', paths.venv], 'python3 -m venv');
  await run(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', ...pythonRequirements()],
    'pip install',
    (line) => {
      if (line.startsWith('Collecting ') || line.startsWith('Successfully installed'))
        progress.detail(line.slice(0, 140));
    },
  );
  writeFileSync(marker, wanted);
  return python;
}

/** Runs a command to completion, feeding its output lines to `onLine`; failure names the command and its last lines. */
function run(
  command: string,
  args: string[],
  what: string,
  onLine: (line: string) => void = () => {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const consume = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 15) tail.shift();
        onLine(line);
      }
    };
    child.stdout.on('data', consume);
    child.stderr.on('data', consume);
    child.on('error', (error) =>
      reject(new StackInstallFailedError(`${what} could not start: ${error.message}`, { cause: error })),
    );
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new StackInstallFailedError(`${what} failed with exit code ${code}:\n${tail.join('\n')}`));
    });
  });
}
