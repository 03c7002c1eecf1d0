import { AppHubError } from '@apphub/platform';

/**
 * Base error of the local tools: the native stack, the CLIs, the sample, the smoke run and the
 * batcher runner. The CLI runner prints its message as the command's one `error:` line.
 */
export class LocalError extends AppHubError {}
