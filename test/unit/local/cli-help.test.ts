import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Command,
  type CommandGroup,
  commandHelp,
  groupHelp,
  parseOptions,
  runCommand,
} from '../../../local/src/cli/run-cli.js';
import { repoRoot } from '../../../local/src/stack/paths.js';

/** Every npm script that runs a TypeScript entry point with tsx: [script, file]. */
const scriptEntries: [string, string][] = Object.entries(
  JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).scripts as Record<string, string>,
).flatMap(([script, command]) => {
  const file = /^tsx (\S+\.ts)\b/.exec(command)?.[1];
  return file ? [[script, file] as [string, string]] : [];
});
const entryFiles = [...new Set(scriptEntries.map(([, file]) => file))];

async function loadCli(file: string): Promise<Command | CommandGroup> {
  const module = (await import(path.join(repoRoot, file))) as { cli?: Command | CommandGroup };
  if (!module.cli) throw new Error(`${file} exports no cli`);
  return module.cli;
}

function commandsOf(cli: Command | CommandGroup): [string, Command][] {
  return 'commands' in cli ? Object.entries(cli.commands) : [[cli.program, cli]];
}

/** The flags a help text's options section lists, as typed (`--name`, `-n`). */
function listedFlags(help: string): string[] {
  const section = help.split('\noptions:\n')[1]?.split('\n\n')[0] ?? '';
  return section
    .split('\n')
    .flatMap((line) => [...line.matchAll(/(?<=^ {2}|, )(--?[A-Za-z][\w-]*)/g)].map((match) => match[1]!));
}

describe('every CLI answers --help from the option table its parser uses', () => {
  it('covers every CLI: each entry point under local/src/cli is an npm script, and bench is too', () => {
    const cliDirectory = path.join(repoRoot, 'local/src/cli');
    const entryPoints = readdirSync(cliDirectory)
      .filter((name) => name.endsWith('.ts'))
      // An entry point ends by running its cli; run-cli.ts only mentions the call.
      .filter((name) =>
        /^runCli\(cli, import\.meta\.url\);$/m.test(readFileSync(path.join(cliDirectory, name), 'utf8')),
      )
      .map((name) => `local/src/cli/${name}`);

    expect(entryPoints.length).toBeGreaterThanOrEqual(10);
    expect(entryFiles).toEqual(expect.arrayContaining([...entryPoints, 'bench/run.ts']));
  });

  it.each(entryFiles)('%s: --help lists every option, and every flag it lists parses', async (file) => {
    const cli = await loadCli(file);
    if ('commands' in cli) {
      const help = groupHelp(cli);
      for (const [name, command] of Object.entries(cli.commands)) {
        const listed = help.split('\n').find((line) => line.trim().split(/\s+/)[0] === name);
        expect(listed?.trim().endsWith(command.summary), name).toBe(true);
      }
    }

    for (const [name, command] of commandsOf(cli)) {
      const help = commandHelp(command);
      const flags = listedFlags(help);
      for (const [option, spec] of Object.entries(command.options)) {
        expect(flags, `${name} --${option}`).toContain(`--${option}`);
        if (spec.short) expect(flags, `${name} -${spec.short}`).toContain(`-${spec.short}`);
        expect(spec.description.trim(), `${name} --${option} has a description`).not.toBe('');
        expect(help, `${name} --${option}`).toContain(spec.description);
      }
      expect(flags, name).toContain('--help');
      // Nothing is listed that the parser would refuse: each listed flag parses (with a value when it takes one).
      for (const flag of flags) {
        const spec = Object.entries(command.options).find(
          ([option, candidate]) => flag === `--${option}` || flag === `-${candidate.short}`,
        )?.[1];
        expect(
          () => parseOptions(command.options, spec?.type === 'string' ? [flag, 'x'] : [flag]),
          flag,
        ).not.toThrow();
      }
    }
  });
});

describe('npm run bench -- --only', () => {
  it('takes handler, consume or autoscale only, and says so in one line naming the flag before measuring anything', async () => {
    const cli = await loadCli('bench/run.ts');
    await expect(runCommand(cli, ['--only', 'freshness'])).rejects.toThrow(
      /^--only must be handler, consume or autoscale, got freshness$/,
    );
  });
});
