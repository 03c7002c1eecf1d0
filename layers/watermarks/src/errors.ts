import { AppHubError } from '@apphub/platform';

/** Base error of the watermark, window and partition-progress stores. */
export class WatermarksError extends AppHubError {}

/** A watermark store call failed for a reason other than a lost conditional write. */
export class WatermarkStoreError extends WatermarksError {}
