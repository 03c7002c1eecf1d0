import type { LeaseHolder, RestoreSource } from '@apphub/control-plane';
import { CliArgumentInvalidError } from '../../errors.js';

/** How every command of the flink CLI is invoked, up to the command's name. */
export const flinkProgram = 'npm run flink --';

/** The flag of submit and restore that lets a job drop state its SQL no longer has. */
export const allowNonRestoredState = {
  type: 'boolean',
  description: 'start even when the snapshot holds state the SQL no longer has',
} as const;

/** The one `<job>` argument of a command; anything else is one line pointing at its help. */
export function jobArgument(command: string, positionals: readonly string[]): string {
  const [jobName, ...extra] = positionals;
  if (!jobName || extra.length > 0) {
    throw new CliArgumentInvalidError(
      `${command} takes one <job> argument, got ${positionals.length}; see ${flinkProgram} ${command} --help`,
    );
  }
  return jobName;
}

/** One line for a run that found the job or pass held by another run. */
export function busy(what: string, holder: LeaseHolder | undefined): string {
  const until = holder ? ` until ${new Date(holder.expiresAt).toISOString()}` : '';
  return `${what}: another run is active (${holder?.owner ?? 'unknown'}${until}); nothing done`;
}

/** Where a job's state came from, in a few words. */
export function describeRestore(source: RestoreSource): string {
  return source.kind === 'none' ? 'none' : `${source.kind} ${source.path}`;
}
