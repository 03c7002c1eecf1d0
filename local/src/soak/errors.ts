import { LocalError } from '../errors.js';

/** An output of the pipeline (a topic) could not be read to its end. */
export class SoakOutputUnreadableError extends LocalError {}

/** The stack is not healthy when the soak should start. */
export class SoakStackNotReadyError extends LocalError {}
