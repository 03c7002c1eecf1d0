import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../local/src/stack/paths.js';

/**
 * Every relative link of the README and docs/*.md leads somewhere: the file or folder exists and,
 * with a `#fragment`, the target document has a heading with that anchor (GitHub's rule: lower
 * case, punctuation dropped, each space a hyphen, `-1`, `-2` for repeats).
 */
describe('links between the docs', () => {
  const documents = [
    'README.md',
    ...readdirSync(path.join(repoRoot, 'docs'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/${name}`),
  ];

  it('resolve to existing files and headings', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const document of documents) {
      for (const target of relativeLinks(readFileSync(path.join(repoRoot, document), 'utf8'))) {
        checked += 1;
        const [file, fragment] = target.split('#', 2) as [string, string | undefined];
        const resolved = file === '' ? document : path.posix.join(path.posix.dirname(document), file);
        const absolute = path.join(repoRoot, decodeURIComponent(resolved));
        if (!existsSync(absolute)) broken.push(`${document}: ${target} (no ${resolved})`);
        else if (fragment !== undefined && !statSync(absolute).isDirectory()) {
          if (!headingAnchors(readFileSync(absolute, 'utf8')).has(fragment))
            broken.push(`${document}: ${target} (no heading #${fragment} in ${resolved})`);
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(broken).toEqual([]);
  });

  it('computes anchors as GitHub does', () => {
    const anchors = headingAnchors(
      '# Smoke test (`npm run smoke`)\n```\n# not a heading\n```\n## One record: event → Parquet\n## Tests\n## Tests\n',
    );
    expect([...anchors]).toEqual([
      'smoke-test-npm-run-smoke',
      'one-record-event--parquet',
      'tests',
      'tests-1',
    ]);
  });
});

/** Markdown text without fenced code blocks and inline code, where links and headings do not count. */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').flatMap((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return [];
    }
    return fenced ? [] : [line.replace(/`[^`]*`/g, '``')];
  });
}

/** Targets of `[text](target)` links that are neither absolute URLs nor mail addresses. */
function relativeLinks(markdown: string): string[] {
  return prose(markdown)
    .flatMap((line) => [...line.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!))
    .filter((target) => !/^[a-z][a-z+.-]*:/i.test(target));
}

function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? undefined : /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const repeats = seen.get(base) ?? 0;
    seen.set(base, repeats + 1);
    anchors.add(repeats === 0 ? base : `${base}-${repeats}`);
  }
  return anchors;
}
