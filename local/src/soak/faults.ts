import { ConfigInvalidError } from '@apphub/platform';

/**
 * What the soak can do to the stack: `kill-*` is a `kill -9` (supervisord, or for the runner the
 * soak as the event source mapping's poller, starts it again), `hang-*` a SIGSTOP held longer than
 * the clients' timeouts then SIGCONT, `outage` a hang of the DynamoDB endpoint longer than the
 * mapping's retries, so batches go to the failed-batch bucket, followed by a replay of them.
 */
export const FAULT_KINDS = [
  'kill-jobmanager',
  'kill-taskmanager',
  'kill-sql-gateway',
  'kill-kafka',
  'kill-minio',
  'kill-dynamodb',
  'kill-runner',
  'hang-kafka',
  'hang-minio',
  'hang-dynamodb',
  'outage',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** The process a fault acts on: a supervised stack component, or the soak's own runner. */
export type FaultTarget =
  | 'jobmanager'
  | 'taskmanager-1'
  | 'sql-gateway'
  | 'kafka'
  | 'minio'
  | 'dynamodb'
  | 'runner';

export interface FaultSpec {
  readonly target: FaultTarget;
  readonly action: 'kill' | 'hang' | 'outage';
  /**
   * Components its recovery needs besides its target: a fault on one of them waits until this one
   * recovered, and this one for a fault on them, as for faults on the same target.
   */
  readonly recoveryNeeds?: readonly FaultTarget[];
}

/** The targets a fault must not overlap a fault on: its own and those its recovery needs. */
export function faultLanes(spec: FaultSpec): readonly FaultTarget[] {
  return [spec.target, ...(spec.recoveryNeeds ?? [])];
}

export const FAULT_SPECS: Readonly<Record<FaultKind, FaultSpec>> = {
  // The job comes back through the reconciler, which reads its record from the DynamoDB endpoint:
  // during an outage the job would stay down, and so would the output the outage waits for.
  'kill-jobmanager': { target: 'jobmanager', action: 'kill', recoveryNeeds: ['dynamodb'] },
  'kill-taskmanager': { target: 'taskmanager-1', action: 'kill' },
  'kill-sql-gateway': { target: 'sql-gateway', action: 'kill' },
  'kill-kafka': { target: 'kafka', action: 'kill' },
  'kill-minio': { target: 'minio', action: 'kill' },
  'kill-dynamodb': { target: 'dynamodb', action: 'kill' },
  'kill-runner': { target: 'runner', action: 'kill' },
  'hang-kafka': { target: 'kafka', action: 'hang' },
  'hang-minio': { target: 'minio', action: 'hang' },
  'hang-dynamodb': { target: 'dynamodb', action: 'hang' },
  outage: { target: 'dynamodb', action: 'outage' },
};

/** Parses `--faults` (comma-separated kinds, or `all`); names the first unknown kind. */
export function parseFaultKinds(text: string): readonly FaultKind[] {
  if (text.trim() === 'all') return FAULT_KINDS;
  const kinds = text
    .split(',')
    .map((kind) => kind.trim())
    .filter((kind) => kind.length > 0);
  const unknown = kinds.find((kind) => !(FAULT_KINDS as readonly string[]).includes(kind));
  if (unknown !== undefined)
    throw new ConfigInvalidError(
      `--faults: unknown fault kind ${unknown}; kinds: all, ${FAULT_KINDS.join(', ')}`,
    );
  if (kinds.length === 0) throw new ConfigInvalidError('--faults names no fault kind');
  return [...new Set(kinds)] as FaultKind[];
}
