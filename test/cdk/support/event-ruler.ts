import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../../cdk/lib/streaming-app.js';

const sources = path.join(PROJECT_ROOT, 'test', 'cdk', 'support', 'event-ruler');
const jars = path.join(PROJECT_ROOT, '.cache', 'jars', 'event-ruler');

/** The event-ruler classpath, resolved with Maven (Maven Central) once per change of the pom. */
function classpath(): string {
  const pom = path.join(sources, 'pom.xml');
  const marker = path.join(jars, '.resolved');
  const wanted = createHash('sha256').update(readFileSync(pom)).digest('hex');
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== wanted) {
    rmSync(jars, { recursive: true, force: true });
    mkdirSync(jars, { recursive: true });
    const run = spawnSync(
      'mvn',
      ['-B', '-q', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${jars}`],
      {
        encoding: 'utf8',
      },
    );
    if (run.status !== 0) throw new Error(`mvn could not resolve event-ruler: ${run.stdout}${run.stderr}`);
    writeFileSync(marker, wanted);
  }
  return readdirSync(jars)
    .filter((name) => name.endsWith('.jar'))
    .map((name) => path.join(jars, name))
    .join(path.delimiter);
}

/**
 * Whether EventBridge would deliver each event to a rule with `pattern`, decided by AWS's own matcher
 * (software.amazon.event.ruler, the library behind EventBridge patterns) run with `java`.
 */
export function eventRulerMatches(pattern: unknown, events: readonly unknown[]): boolean[] {
  const dir = mkdtempSync(path.join(tmpdir(), 'apphub-event-ruler-'));
  try {
    const patternFile = path.join(dir, 'pattern.json');
    writeFileSync(patternFile, JSON.stringify(pattern));
    const eventFiles = events.map((event, index) => {
      const file = path.join(dir, `event-${index}.json`);
      writeFileSync(file, JSON.stringify(event));
      return file;
    });
    const run = spawnSync(
      'java',
      ['-cp', classpath(), path.join(sources, 'MatchEvents.java'), patternFile, ...eventFiles],
      { encoding: 'utf8' },
    );
    if (run.status !== 0) throw new Error(`event-ruler failed: ${run.stderr}`);
    return run.stdout
      .trim()
      .split('\n')
      .map((line) => line.trim() === 'true');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
