import { describeError } from '@apphub/platform';

/**
 * Runs a CLI's main function: a failure prints one line (the error's first line, plus any detail
 * lines the error carries such as a log tail) and exits non-zero, never a stack trace for bad input.
 * Set APPHUB_DEBUG=1 to see the full error with its causes.
 */
export function runCli(main: () => Promise<number | undefined>): void {
  // The SDK warns on every process that Node 20 support ends in 2027; the Lambdas run on a newer Node.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main().then(
    (code) => {
      process.exitCode = typeof code === 'number' ? code : 0;
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : describeError(error);
      process.stderr.write(`error: ${message}\n`);
      if (process.env.APPHUB_DEBUG === '1') console.error(error);
      process.exitCode = 1;
    },
  );
}

/** Minimal flag parser: `--name value`, `--flag`, and positionals; unknown flags are an error. */
export function parseFlags(
  argv: readonly string[],
  spec: Readonly<Record<string, 'string' | 'boolean'>>,
): { flags: Record<string, string | boolean>; positionals: string[] } {
  const flags: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (arg === '--') continue;
    if (!arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    const [rawName, inline] = arg.replace(/^--?/, '').split('=', 2) as [string, string | undefined];
    const kind = spec[rawName];
    if (!kind)
      throw new Error(
        `unknown option ${arg}; known options: ${Object.keys(spec)
          .map((n) => `--${n}`)
          .join(', ')}`,
      );
    if (kind === 'boolean') flags[rawName] = true;
    else {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new Error(`option --${rawName} needs a value`);
      flags[rawName] = value;
    }
  }
  return { flags, positionals };
}
