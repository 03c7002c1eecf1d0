import { AppHubError } from '@apphub/platform';

/** Base error of the smoke test. */
export class SmokeError extends AppHubError {}

/** A smoke step found the pipeline not doing what it must; the message is the step's detail. */
export class SmokeStepFailedError extends SmokeError {}

/** The smoke function's request or configuration cannot be read. */
export class SmokeRequestInvalidError extends SmokeError {}
