import { AppHubError } from '@apphub/platform';

/**
 * What the control plane refused, as a code with what a caller needs to word its advice. The error's
 * message says what is wrong and holds for every caller (a Lambda's log, a CLI); only a caller that
 * knows its user's next step adds one: the CLIs turn the code into the command to run.
 */
export type ControlPlaneRefusal =
  /** No live Flink job has the name. */
  | { readonly code: 'job-not-found'; readonly jobName: string }
  /** The job is not in the jobs table; `restoreFrom` is the snapshot a restore was asked to use. */
  | { readonly code: 'job-unmanaged'; readonly jobName: string; readonly restoreFrom?: string | undefined }
  /** The job runs, and the request needs it stopped. */
  | { readonly code: 'job-running'; readonly jobName: string }
  /** A restore from the latest savepoint found no completed one recorded. */
  | { readonly code: 'savepoint-missing'; readonly jobName: string };

/** Base error of the control plane (submission, savepoints, reconciliation). */
export class ControlPlaneError extends AppHubError {
  /** Set when the request was refused on purpose: what about, as a code. */
  readonly refusal: ControlPlaneRefusal | undefined;

  constructor(message: string, options: { cause?: unknown; refusal?: ControlPlaneRefusal } = {}) {
    super(message, options);
    this.refusal = options.refusal;
  }
}

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
