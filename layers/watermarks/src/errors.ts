import { AppHubError } from '@apphub/platform';

/** A watermark store call failed for a reason other than a lost conditional write. */
export class WatermarkStoreError extends AppHubError {}
