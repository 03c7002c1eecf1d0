import { AppHubError } from '@apphub/platform';

/** A smoke step found the pipeline not doing what it must; the message is the step's detail. */
export class SmokeStepFailedError extends AppHubError {}

/** The smoke function's request or configuration cannot be read. */
export class SmokeRequestInvalidError extends AppHubError {}
