import { FlinkRestClient, SqlGatewayClient, sleep } from '@apphub/flink';
import { createLogger, type Logger, METRIC_NAMESPACE, Metrics, type MetricUnit } from '@apphub/observability';
import { createAwsClients } from '@apphub/platform';
import { LeaseStore, newLeaseOwner } from './lease.js';
import type { JobRecord } from './records.js';
import type { ControlPlaneConfig } from './settings.js';
import { SnapshotStorage } from './snapshot-storage.js';
import { JobStore, SavepointStore } from './stores.js';

/** EMF namespace of the control plane's metrics (dimensions `JobName` per job, `Service` per function). */
export const metricsNamespace = METRIC_NAMESPACE;

/** Everything the control-plane operations need, passed in so tests and the CLI can build their own. */
export interface ControlPlane {
  readonly config: ControlPlaneConfig;
  readonly rest: FlinkRestClient;
  readonly gateway: SqlGatewayClient;
  readonly jobs: JobStore;
  readonly savepoints: SavepointStore;
  readonly leases: LeaseStore;
  /** This process's lease owner id (service, pid and a random part). */
  readonly owner: string;
  readonly storage: SnapshotStorage;
  readonly logger: Logger;
  /**
   * Per-job metrics with the `JobName` dimension; every value is also added to `serviceMetrics`.
   * Operations flush both when they finish.
   */
  readonly metricsFor: (jobName: string) => Metrics;
  /** The same metrics summed over jobs with the `Service` dimension, which the CDK alarms read. */
  readonly serviceMetrics: Metrics;
  readonly now: () => number;
  /** Waits between polls; tests inject a clock that advances `now` instead. */
  readonly sleep: (ms: number) => Promise<void>;
}

/** Options for {@link createControlPlane}. */
export interface ControlPlaneOptions {
  readonly logger?: Logger;
  /** Where EMF lines go; defaults to stdout. */
  readonly metricsSink?: (line: string) => void;
  /** The function folder (`savepoint`, `reconcile`, ...), the `Service` dimension. Default `control-plane`. */
  readonly service?: string;
  /** What to do when Flink is unreachable; defaults depend on whether this runs locally or in AWS. */
  readonly unreachableHint?: string;
}

/** Builds the clients of the control plane from its configuration (once per process). */
export function createControlPlane(
  config: ControlPlaneConfig,
  options: ControlPlaneOptions = {},
): ControlPlane {
  const { dynamodb, s3 } = createAwsClients(config);
  // Locally (an endpoint override is set) the fix is starting the stack; in AWS it is the network path.
  const hint = {
    unreachableHint:
      options.unreachableHint ??
      (config.awsEndpointUrl
        ? 'start the stack with npm run local:up'
        : "check the Flink service and the Lambda's security group"),
  };
  const serviceMetrics = new Metrics(
    metricsNamespace,
    { Service: options.service ?? 'control-plane' },
    options.metricsSink,
  );
  return {
    config,
    rest: new FlinkRestClient({ baseUrl: config.flinkRestUrl, ...hint }),
    gateway: new SqlGatewayClient({ baseUrl: config.sqlGatewayUrl, ...hint }),
    jobs: new JobStore(dynamodb, config.jobsTable),
    savepoints: new SavepointStore(dynamodb, config.savepointsTable),
    leases: new LeaseStore(dynamodb, config.leasesTable),
    owner: newLeaseOwner(options.service ?? 'control-plane'),
    storage: new SnapshotStorage(s3),
    logger: options.logger ?? createLogger('control-plane'),
    metricsFor: (jobName) => new JobMetrics(jobName, serviceMetrics, options.metricsSink),
    serviceMetrics,
    now: Date.now,
    sleep,
  };
}

/** Metrics of one job (dimension `JobName`) that also add every value to the service-wide metrics. */
class JobMetrics extends Metrics {
  constructor(
    jobName: string,
    private readonly service: Metrics,
    sink?: (line: string) => void,
  ) {
    super(metricsNamespace, { JobName: jobName }, sink);
  }

  override add(name: string, unit: MetricUnit, value = 1): void {
    super.add(name, unit, value);
    this.service.add(name, unit, value);
  }
}

/**
 * Runs `act` for each managed job (or the named ones) with that job's metrics, flushing them
 * afterwards whatever happens. Jobs run one after another: Flink's JobManager is shared.
 */
export async function forEachManagedJob<T>(
  plane: ControlPlane,
  jobNames: readonly string[] | undefined,
  act: (record: JobRecord, metrics: Metrics) => Promise<T>,
): Promise<T[]> {
  const records = (await plane.jobs.list()).filter(
    (record) => !jobNames || jobNames.includes(record.jobName),
  );
  const outcomes: T[] = [];
  try {
    for (const record of records) {
      const metrics = plane.metricsFor(record.jobName);
      try {
        outcomes.push(await act(record, metrics));
      } finally {
        metrics.flush();
      }
    }
  } finally {
    plane.serviceMetrics.flush();
  }
  return outcomes;
}
