import { spawnSync } from 'node:child_process';
import { StackPrerequisiteMissingError } from './errors.js';

const howToInstall: Record<string, string> = {
  java: 'install OpenJDK 17, e.g. `apt-get install -y openjdk-17-jdk-headless`',
  mvn: 'install Maven 3.8+, e.g. `apt-get install -y maven`',
  python3: 'install Python 3.10+ with venv, e.g. `apt-get install -y python3 python3-venv`',
  go: 'install Go 1.24+ (MinIO is built from source), e.g. `apt-get install -y golang` or https://go.dev/dl',
  openssl: 'install OpenSSL (the local CA for Kafka TLS), e.g. `apt-get install -y openssl`',
};

/** How each tool reports its version (go and openssl take no --version). */
const versionArgs: Record<string, string[]> = { go: ['version'], openssl: ['version'] };

/** Fails with one line naming the first missing tool and how to install it. */
export function checkPrerequisites(
  tools: readonly string[] = ['java', 'mvn', 'python3', 'go', 'openssl'],
): void {
  for (const tool of tools) {
    const result = spawnSync(tool, versionArgs[tool] ?? ['--version'], { stdio: 'ignore' });
    if (result.error || result.status !== 0) {
      throw new StackPrerequisiteMissingError(
        `${tool} is not installed or not on PATH: ${howToInstall[tool] ?? 'install it'}`,
      );
    }
  }
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const major = /version "(\d+)/.exec(java.stderr)?.[1];
  if (major && Number(major) < 17) {
    throw new StackPrerequisiteMissingError(
      `java ${major} found, but Flink 2 needs Java 17+: ${howToInstall.java}`,
    );
  }
}
