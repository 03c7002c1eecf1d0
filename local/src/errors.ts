import { AppHubError } from '@apphub/platform';

/**
 * Base error of the local tools: the native stack, the CLIs, the sample, the smoke run and the
 * batcher runner. The CLI runner prints its message as the command's one `error:` line.
 */
export class LocalError extends AppHubError {}

/** A command line that does not fit the command's option table; one line naming the flag. */
export class CliArgumentInvalidError extends LocalError {}
