import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeError } from '@apphub/platform';
import { CliArgumentInvalidError } from '../errors.js';
import { errorLine } from './error-line.js';

/** One flag of a command: what `parseArgs` needs, plus what `--help` shows. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** What the flag does, in one line. */
  readonly description: string;
  /** Placeholder of a string flag's value in `--help`, e.g. `N` or `FILE`. Default `VALUE`. */
  readonly valueName?: string;
  /** One-letter alias, e.g. `n` for `-n`. */
  readonly short?: string;
  /** Value when the flag is absent; `--help` shows it. */
  readonly default?: string;
}

/** The flags of a command by long name; the parser and `--help` both read only this table. */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

type OptionValue<S extends OptionSpec> = S['type'] extends 'boolean' ? boolean : string;

/** Parsed flags: a flag with a default is always present, any other only when given. */
export type OptionValues<O extends OptionTable> = {
  readonly [K in keyof O as O[K] extends { readonly default: string } ? K : never]: OptionValue<O[K]>;
} & {
  readonly [K in keyof O as O[K] extends { readonly default: string } ? never : K]?: OptionValue<O[K]>;
};

/** What a command's `run` receives. */
export interface CommandInput<O extends OptionTable> {
  readonly values: OptionValues<O>;
  readonly positionals: readonly string[];
}

/** One command: its invocation, its flags, and what it does with them. */
export interface Command<O extends OptionTable = OptionTable> {
  /** How it is invoked, up to its arguments, e.g. `npm run flink -- submit`. */
  readonly program: string;
  /** Its positional arguments as `--help` shows them, e.g. `<job>`. */
  readonly arguments?: string;
  /** What it does, in one line (a group lists it). */
  readonly summary: string;
  /** More text after the options (settings in effect, examples); computed only for `--help`. */
  readonly details?: () => string;
  readonly options: O;
  run(input: CommandInput<O>): Promise<number | undefined>;
}

/** Commands behind one program, chosen by the first argument (`npm run flink -- <command>`). */
export interface CommandGroup {
  readonly program: string;
  readonly summary: string;
  readonly commands: Readonly<Record<string, Command>>;
}

/** Every command answers `--help`; it is in no table so that no table can forget it. */
const helpOption: OptionSpec = { type: 'boolean', short: 'h', description: 'print this help and exit' };

/** Declares a command, keeping its option table's literal types for `run`. */
export function defineCommand<const O extends OptionTable>(command: Command<O>): Command {
  return command as unknown as Command;
}

/** The flags of `options` as `--help` lists them, `--help` last. */
function optionLines(options: OptionTable): string[] {
  const entries = Object.entries<OptionSpec>({ ...options, help: helpOption }).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : ''}`;
    const fallback = spec.default === undefined ? '' : ` (default: ${spec.default})`;
    return [flag, `${spec.description}${fallback}`] as const;
  });
  const width = Math.max(...entries.map(([flag]) => flag.length));
  return entries.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

/** The `--help` text of a command, generated from its option table. */
export function commandHelp(command: Command): string {
  const details = command.details?.();
  return [
    `usage: ${command.program}${command.arguments ? ` ${command.arguments}` : ''} [options]`,
    '',
    command.summary,
    '',
    'options:',
    ...optionLines(command.options),
    ...(details ? ['', details] : []),
  ].join('\n');
}

/** The `--help` text of a group: its commands, each with its summary. */
export function groupHelp(group: CommandGroup): string {
  const names = Object.keys(group.commands);
  const width = Math.max(...names.map((name) => name.length));
  return [
    `usage: ${group.program} <command> [options]`,
    '',
    group.summary,
    '',
    'commands:',
    ...names.map((name) => `  ${name.padEnd(width)}  ${group.commands[name]!.summary}`),
    '',
    `${group.program} <command> --help describes a command's arguments and options.`,
  ].join('\n');
}

/**
 * Parses `args` against `options` with `node:util` parseArgs: `--name value`, `--name=value`,
 * `-n value`, booleans, positionals, and `--` before positionals that start with a dash. Unknown
 * flags, missing values and values given to a boolean are one line naming the flag.
 */
export function parseOptions<O extends OptionTable>(
  options: O,
  args: readonly string[],
): CommandInput<O> & { readonly help: boolean } {
  const config = { ...options, help: helpOption };
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: config,
      allowPositionals: true,
      strict: true,
    });
    const { help, ...rest } = values as Record<string, string | boolean | undefined>;
    return { values: rest as OptionValues<O>, positionals, help: help === true };
  } catch (error) {
    throw new CliArgumentInvalidError(explainParseError(config, args, error), { cause: error });
  }
}

/** One line for what parseArgs refused, naming the flag, from the tokens a lenient parse sees. */
function explainParseError(options: OptionTable, args: readonly string[], error: unknown): string {
  const known = Object.entries(options)
    .map(([name, spec]) => (spec.short ? `-${spec.short}/--${name}` : `--${name}`))
    .join(', ');
  const { tokens } = parseArgs({
    args: [...args],
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (!spec) return `unknown option ${token.rawName}; known options: ${known}`;
    if (spec.type === 'boolean' && token.value !== undefined) return `option ${token.rawName} takes no value`;
    if (
      spec.type === 'string' &&
      (token.value === undefined || (!token.inlineValue && token.value.startsWith('-')))
    )
      return `option ${token.rawName} needs a value`;
  }
  return describeError(error);
}

/** An integer argument (`label` names it: `--count`, `<parallelism>`); anything else is one line naming it. */
export function integerOption(label: string, raw: string, min = 0): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(value) || value < min) {
    throw new CliArgumentInvalidError(`${label} must be an integer >= ${min}, got ${raw}`);
  }
  return value;
}

/** Runs a command, or the group's command the first argument names, with the rest as its arguments. */
export async function runCommand(cli: Command | CommandGroup, args: readonly string[]): Promise<number> {
  if ('commands' in cli) {
    const [name, ...rest] = args;
    if (name === '--help' || name === '-h') {
      console.log(groupHelp(cli));
      return 0;
    }
    if (name === undefined) {
      process.stderr.write(`${groupHelp(cli)}\n`);
      return 1;
    }
    const command = Object.hasOwn(cli.commands, name) ? cli.commands[name] : undefined;
    if (!command) {
      throw new CliArgumentInvalidError(
        `unknown command ${name}; commands: ${Object.keys(cli.commands).join(', ')} (${cli.program} --help)`,
      );
    }
    return runCommand(command, rest);
  }
  const { help, values, positionals } = parseOptions(cli.options, args);
  if (help) {
    console.log(commandHelp(cli));
    return 0;
  }
  if (cli.arguments === undefined && positionals.length > 0) {
    throw new CliArgumentInvalidError(
      `unexpected argument ${positionals[0]}; ${cli.program} takes options only (--help lists them)`,
    );
  }
  return (await cli.run({ values, positionals })) ?? 0;
}

/** True when `moduleUrl` is the script Node was started with, not a module a test imported. */
function isEntryPoint(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/**
 * Runs a CLI when its module is the entry point (`runCli(cli, import.meta.url)`), so tests can import
 * its option table without running it. A failure prints one line ({@link errorLine}: a component of
 * the local stack that does not answer and how to start it, a refusal with the command to run next,
 * or the error's message, plus any detail lines it carries such as a log tail) and exits non-zero,
 * never a stack trace for bad input. Set APPHUB_DEBUG=1 to see the full error with its causes.
 */
export function runCli(cli: Command | CommandGroup, moduleUrl: string): void {
  if (!isEntryPoint(moduleUrl)) return;
  runCommand(cli, process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`error: ${errorLine(error)}\n`);
      if (process.env.APPHUB_DEBUG === '1') console.error(error);
      process.exitCode = 1;
    },
  );
}
