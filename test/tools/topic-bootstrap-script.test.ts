import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { platform } from '@apphub/platform';
import { partitionDecreaseMessage } from '@apphub/topics';
import { afterEach, describe, expect, it } from 'vitest';
import { topicBootstrapScript } from '../../local/src/manifests/bootstrap-scripts.js';

/**
 * A stand-in for Redpanda's rpk (Redpanda itself does not run here): it keeps topics as
 * "name partitions" lines in a file, answers `topic list` in rpk's columns, and logs every call.
 */
const FAKE_RPK = `#!/usr/bin/env bash
set -eu
state="$RPK_STATE"; log="$RPK_LOG"
echo "$*" >> "$log"
case "$1 $2" in
  "cluster info") exit 0 ;;
  "topic list") echo "NAME PARTITIONS REPLICAS"; awk '{print $1, $2, 1}' "$state" ;;
  "topic create") echo "$3 $5" >> "$state" ;;
  "topic add-partitions") awk -v t="$3" -v n="$5" '$1 == t {$2 = $2 + n} {print}' "$state" > "$state.new"; mv "$state.new" "$state" ;;
  "topic alter-config") ;;
  *) echo "unexpected rpk call: $*" >&2; exit 2 ;;
esac
`;

const scratch: string[] = [];
afterEach(() => {
  for (const directory of scratch.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** Runs the generated script against the fake rpk holding `topics`; returns its outcome and rpk's calls. */
function runScript(topics: Record<string, number>) {
  const directory = mkdtempSync(path.join(tmpdir(), 'apphub-rpk-'));
  scratch.push(directory);
  const rpk = path.join(directory, 'rpk');
  writeFileSync(rpk, FAKE_RPK);
  chmodSync(rpk, 0o755);
  const state = path.join(directory, 'topics');
  const log = path.join(directory, 'calls');
  writeFileSync(
    state,
    Object.entries(topics)
      .map(([name, partitions]) => `${name} ${partitions}\n`)
      .join(''),
  );
  writeFileSync(log, '');
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', topicBootstrapScript('redpanda:9092')], {
    encoding: 'utf8',
    env: { PATH: `${directory}:${process.env.PATH}`, RPK_STATE: state, RPK_LOG: log },
  });
  const calls = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .filter((call) => call !== 'cluster info' && call !== 'topic list');
  const after = Object.fromEntries(
    readFileSync(state, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' '))
      .map(([name, partitions]) => [name, Number(partitions)]),
  );
  return { status: result.status, stderr: result.stderr, calls, after };
}

const { input, aggregates, deadLetter } = platform.topics;

describe("the compose and minikube topic bootstrap (rpk), the topic manager's plan as a script", () => {
  it('creates every missing topic with its partitions and retention, and applies the retention', () => {
    const run = runScript({});

    expect(run.status).toBe(0);
    expect(run.after).toEqual({
      [input.name]: input.partitions,
      [aggregates.name]: aggregates.partitions,
      [deadLetter.name]: deadLetter.partitions,
    });
    expect(run.calls).toContain(
      `topic create ${input.name} --partitions ${input.partitions} --replicas 1 --topic-config retention.ms=${input.retentionMs}`,
    );
    expect(run.calls.filter((call) => call.startsWith('topic alter-config'))).toEqual(
      [input, aggregates, deadLetter].map(
        (topic) => `topic alter-config ${topic.name} --set retention.ms=${topic.retentionMs}`,
      ),
    );
  });

  it('raises the partitions of a topic that has fewer, and a rerun changes nothing but the settings', () => {
    const first = runScript({ [input.name]: input.partitions - 1 });
    const again = runScript(first.after);

    expect(first.calls).toContain(`topic add-partitions ${input.name} --num 1`);
    expect(first.after[input.name]).toBe(input.partitions);
    expect(again.status).toBe(0);
    expect(again.calls.every((call) => call.startsWith('topic alter-config'))).toBe(true);
  });

  it("refuses a partition decrease with the topic manager's one line and changes nothing", () => {
    const run = runScript({ [aggregates.name]: aggregates.partitions + 2 });

    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      partitionDecreaseMessage([
        { name: aggregates.name, observed: aggregates.partitions + 2, desired: aggregates.partitions },
      ]),
    );
    expect(run.calls).toEqual([]);
    expect(run.after).toEqual({ [aggregates.name]: aggregates.partitions + 2 });
  });
});
