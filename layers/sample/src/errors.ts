import { AppHubError } from '@apphub/platform';

/** Base error of the sample events and aggregates. */
export class SampleError extends AppHubError {}
