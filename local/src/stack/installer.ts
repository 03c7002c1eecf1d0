import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { platform } from '@apphub/platform';
import { StackInstallFailedError } from './errors.js';
import { repoRoot, type StackPaths } from './paths.js';
import type { Progress } from './progress.js';

/**
 * The jar sets the native stack needs, each a Maven project under local/jars/<name>, and the one
 * only the bench's Flink Parquet peer loads (bench/peer.ts).
 */
export type JarSet = 'flink' | 'kafka' | 'flink-plugins' | 'parquet-peer';

function mavenProperties(set: JarSet): Record<string, string> {
  const { versions } = platform;
  switch (set) {
    case 'flink':
      return {
        'flink.version': versions.flink,
        'flink.kafka.connector.version': versions.flinkKafkaConnector,
        'log4j.version': versions.log4j,
      };
    case 'kafka':
      return { 'kafka.version': versions.kafka, 'log4j.version': versions.log4j };
    case 'flink-plugins':
      return { 'flink.s3.plugin.version': versions.flinkS3Plugin };
    case 'parquet-peer':
      return {
        'flink.parquet.version': versions.flinkParquet,
        'hadoop.uber.version': versions.hadoopUber,
        'snappy.java.version': versions.snappyJava,
        'flink.s3.plugin.version': versions.flinkS3Plugin,
      };
  }
}

/** Python packages of the local venv, pinned from platform.json. */
export function pythonRequirements(): string[] {
  const { versions } = platform;
  return [
    `moto[server]==${versions.moto}`,
    `supervisor==${versions.supervisor}`,
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
 * The Flink plugins folder (FLINK_PLUGINS_DIR): each plugin jar in a folder of its own, as Flink
 * loads file systems only from there (one class loader per plugin), never from the classpath.
 */
export async function ensureFlinkPlugins(paths: StackPaths, progress: Progress): Promise<string> {
  const [s3Plugin] = await ensureJars(paths, 'flink-plugins', progress);
  if (s3Plugin === undefined) throw new StackInstallFailedError('flink-s3-fs-presto was not resolved');
  return ensurePluginFolder(paths.flinkPlugins, 's3-fs-presto', s3Plugin);
}

/**
 * A plugins root (FLINK_PLUGINS_DIR) holding only `jar`, in the folder `name` as the Flink image's
 * plugins/<name>/; rebuilt when the jar changed. Returns the root.
 */
export function ensurePluginFolder(root: string, name: string, jar: string): string {
  const linked = path.join(root, name, path.basename(jar));
  if (!existsSync(linked)) {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(path.dirname(linked), { recursive: true });
    cpSync(jar, linked);
  }
  return root;
}

/**
 * MinIO, built from its pinned source with `go install` into .cache/minio/<version>/ (the community
 * edition ships as source). The module and build caches stay under .cache/go, so nothing lands outside
 * the project; a first build takes several minutes on two cores, with a line per 25 packages built.
 */
export async function ensureMinio(paths: StackPaths, progress: Progress): Promise<string> {
  if (existsSync(paths.minioBin)) return paths.minioBin;
  const version = platform.versions.minioSource;
  progress.step(`building MinIO ${version} from the Go module proxy (one-time, several minutes)`);
  const goCache = path.join(paths.cache, 'go');
  let built = 0;
  await run(
    'go',
    ['install', '-v', `github.com/minio/minio@${version}`],
    `go install github.com/minio/minio@${version}`,
    (line) => {
      if (line.startsWith('go: downloading ')) return;
      built += 1;
      if (built % 25 === 0)
        progress.detail(`MinIO build: ${built} packages compiled (latest ${line.slice(0, 80)})`);
    },
    {
      ...process.env,
      GOBIN: path.dirname(paths.minioBin),
      GOMODCACHE: path.join(goCache, 'mod'),
      GOCACHE: path.join(goCache, 'build'),
      // The module cache is read-only by default, which would make .cache hard to delete.
      GOFLAGS: '-modcacherw',
      GOTOOLCHAIN: 'local',
    },
  );
  if (!existsSync(paths.minioBin))
    throw new StackInstallFailedError(`go install left no binary at ${paths.minioBin}`);
  progress.detail(`MinIO built: ${path.relative(repoRoot, paths.minioBin)}`);
  return paths.minioBin;
}

/** A Java library the stack compiles from source against the resolved Flink jars. */
export interface JavaLibrary {
  /** Names the jar and its folder under .cache/jars. */
  readonly name: string;
  /** Source root (Java packages and META-INF/services) relative to the repository. */
  readonly sources: string;
  readonly description: string;
}

/** The loopback-bound Prometheus reporter: the stock one has no host option. */
export const loopbackReporter: JavaLibrary = {
  name: 'apphub-loopback-reporter',
  sources: 'local/jars/reporter/src',
  description: 'the loopback Prometheus reporter',
};

/** The sample job's one-parse JSON format; the Flink image builds the same sources (infra/flink-image). */
export const checkedJsonFormat: JavaLibrary = {
  name: 'apphub-checked-json-format',
  sources: 'infra/flink-format/src',
  description: "the sample job's apphub-checked-json format",
};

/** The Java libraries every Flink process of the native stack has on its classpath. */
export const javaLibraries: readonly JavaLibrary[] = [loopbackReporter, checkedJsonFormat];

/** Builds every one of {@link javaLibraries} that is not current; returns their jars. */
export async function ensureJavaLibraries(
  paths: StackPaths,
  flinkJars: readonly string[],
  progress: Progress,
): Promise<string[]> {
  const jars: string[] = [];
  for (const library of javaLibraries)
    jars.push(await ensureJavaLibrary(library, paths, flinkJars, progress));
  return jars;
}

/** Every file under `directory`, sorted, as absolute paths. */
function filesUnder(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(directory, name))
    .filter((file) => statSync(file).isFile())
    .sort();
}

/**
 * Builds `library` with javac and jar, once per source change (the jar is named by the digest of its
 * sources); the native stack adds it to the Flink classpath.
 */
export async function ensureJavaLibrary(
  library: JavaLibrary,
  paths: StackPaths,
  flinkJars: readonly string[],
  progress: Progress,
): Promise<string> {
  const sources = path.join(repoRoot, library.sources);
  const files = filesUnder(sources);
  const javaFiles = files.filter((file) => file.endsWith('.java'));
  const digest = createHash('sha256');
  for (const file of files) digest.update(path.relative(sources, file)).update(readFileSync(file));
  const home = path.join(paths.jars, library.name);
  const jar = path.join(home, `${library.name}-${digest.digest('hex').slice(0, 12)}.jar`);
  if (existsSync(jar)) return jar;

  progress.step(`building ${library.description} (javac)`);
  const classes = path.join(home, 'classes');
  rmSync(home, { recursive: true, force: true });
  mkdirSync(classes, { recursive: true });
  await run(
    'javac',
    ['-nowarn', '-d', classes, '-cp', flinkJars.join(':'), ...javaFiles],
    `javac of ${library.description}`,
  );
  const metaInf = path.join(sources, 'META-INF');
  if (existsSync(metaInf)) cpSync(metaInf, path.join(classes, 'META-INF'), { recursive: true });
  await run('jar', ['cf', jar, '-C', classes, '.'], `jar of ${library.description}`);
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
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
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
