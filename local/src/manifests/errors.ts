import { LocalError } from '../errors.js';

/** A value cannot be expressed in a generated manifest (e.g. a Flink setting FLINK_PROPERTIES cannot carry). */
export class ManifestInvalidError extends LocalError {}

/** A committed manifest differs from what `npm run render:manifests` renders from infra/platform.json. */
export class ManifestOutdatedError extends LocalError {}

/** `kubectl apply -k infra/minikube` could not run or failed. */
export class ManifestApplyFailedError extends LocalError {}
