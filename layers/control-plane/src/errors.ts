import { AppHubError } from '@apphub/platform';

/** Base error of the control plane (submission, savepoints, reconciliation). */
export class ControlPlaneError extends AppHubError {}

/** The job name is not in the jobs table, so the control plane does not manage it. */
export class ControlPlaneJobUnknownError extends ControlPlaneError {}

/** The requested restore source (latest savepoint or checkpoint) does not exist. */
export class ControlPlaneRestoreMissingError extends ControlPlaneError {}

/** The job is in a state that forbids the action (e.g. restore while it runs). */
export class ControlPlaneJobStateError extends ControlPlaneError {}

/** An event or request did not have the expected shape. */
export class ControlPlaneEventInvalidError extends ControlPlaneError {}

/** An item of the jobs or savepoints table does not have a record's layout (the message names table and key). */
export class ControlPlaneRecordInvalidError extends ControlPlaneError {}

/** Savepoint or checkpoint data could not be listed or deleted. */
export class ControlPlaneStorageError extends ControlPlaneError {}

/** A (re)started JobManager did not answer with TaskManager slots in time. */
export class ControlPlaneJobManagerNotReadyError extends ControlPlaneError {}

/** A rescale failed; the job was restored (or reconcile will restore it), as the message says. */
export class ControlPlaneRescaleError extends ControlPlaneError {}

/** The TaskManager count could not be changed or read. */
export class ControlPlaneScalingError extends ControlPlaneError {}
