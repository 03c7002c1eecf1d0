import { LocalError } from '../errors.js';

/** java, mvn or python3 is missing. */
export class StackPrerequisiteMissingError extends LocalError {}
/** A port the stack needs is held by a process the stack did not start. */
export class StackPortInUseError extends LocalError {}
/** A component did not become healthy in time. */
export class StackComponentUnhealthyError extends LocalError {}
/** Resolving jars or creating the Python environment failed. */
export class StackInstallFailedError extends LocalError {}
/** supervisord could not be started, reached or told what to do. */
export class StackSupervisorError extends LocalError {}
/** APPHUB_STREAMING_ENABLED=0 and something asked to start the stack; the message is the one line to print. */
export class StackStreamingDisabledError extends LocalError {}
