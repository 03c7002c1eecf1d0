import { FlinkJobMetricsClient, FlinkRestClient, SqlGatewayClient, sleep } from '@apphub/flink';
import {
  createLogger,
  type Logger,
  type MetricRecorder,
  type Metrics,
  metricRecorder,
  type ServiceMetricRecorder,
  serviceMetricRecorder,
} from '@apphub/observability';
import { createAwsClients } from '@apphub/platform';
import { type AutoscaleDecisionStore, AutoscaleDecisionTable } from './autoscale/store.js';
import { LeaseStore, newLeaseOwner } from './lease.js';
import type { JobRecord } from './records.js';
import type { ControlPlaneConfig } from './settings.js';
import { SnapshotStorage } from './snapshot-storage.js';
import { JobStore, SavepointStore } from './stores.js';

/** Everything the control-plane operations need, passed in so tests and the CLI can build their own. */
export interface ControlPlane {
  readonly config: ControlPlaneConfig;
  readonly rest: FlinkRestClient;
  /** Vertex topology and subtask metrics, which the autoscaler observes. */
  readonly flinkMetrics: FlinkJobMetricsClient;
  readonly gateway: SqlGatewayClient;
  readonly jobs: JobStore;
  readonly savepoints: SavepointStore;
  readonly leases: LeaseStore;
  /** The autoscaler's decisions; undefined when no decisions table is configured (autoscaler off). */
  readonly autoscaleDecisions: AutoscaleDecisionStore | undefined;
  /** This process's lease owner id (service, pid and a random part). */
  readonly owner: string;
  readonly storage: SnapshotStorage;
  readonly logger: Logger;
  /**
   * Records a job's metrics in its own series (dimension `JobName`) and in the invocation's metrics
   * (dimension `Service`, which the CDK alarms read; published by the handler's middleware).
   */
  readonly metricsFor: (jobName: string) => MetricRecorder;
  /** Records a value of the invocation as a whole (a total over jobs) in the `Service` series only. */
  readonly serviceMetrics: ServiceMetricRecorder;
  readonly now: () => number;
  /** Waits between polls; tests inject a clock that advances `now` instead. */
  readonly sleep: (ms: number) => Promise<void>;
}

/** Options for {@link createControlPlane}. */
export interface ControlPlaneOptions {
  readonly logger?: Logger;
  /**
   * The invocation's Powertools metrics (`createMetrics(service)`); without them (local tools,
   * whose stdout carries a command's answer or supervisord's protocol) no metrics are recorded.
   */
  readonly metrics?: Metrics;
  /** The function folder (`savepoint`, `reconcile`, ...), part of the lease owner. Default `control-plane`. */
  readonly service?: string;
}

/** Builds the clients of the control plane from its configuration (once per process). */
export function createControlPlane(
  config: ControlPlaneConfig,
  options: ControlPlaneOptions = {},
): ControlPlane {
  const { dynamodb, s3 } = createAwsClients(config);
  // In AWS an unreachable Flink is a network path to check; locally (an endpoint override is set)
  // the CLI that runs this says which component to start.
  const hint = {
    unreachableHint: config.awsEndpointUrl
      ? undefined
      : "check the Flink service and the Lambda's security group",
  };
  return {
    config,
    rest: new FlinkRestClient({ baseUrl: config.flinkRestUrl, ...hint }),
    flinkMetrics: new FlinkJobMetricsClient({ baseUrl: config.flinkRestUrl, ...hint }),
    gateway: new SqlGatewayClient({ baseUrl: config.sqlGatewayUrl, ...hint }),
    jobs: new JobStore(dynamodb, config.jobsTable),
    savepoints: new SavepointStore(dynamodb, config.savepointsTable),
    leases: new LeaseStore(dynamodb, config.leasesTable),
    autoscaleDecisions: config.autoscaleDecisionsTable
      ? new AutoscaleDecisionTable(dynamodb, config.autoscaleDecisionsTable)
      : undefined,
    owner: newLeaseOwner(options.service ?? 'control-plane'),
    storage: new SnapshotStorage(s3),
    logger: options.logger ?? createLogger('control-plane'),
    metricsFor: (jobName) => metricRecorder(options.metrics, { JobName: jobName }),
    serviceMetrics: serviceMetricRecorder(options.metrics),
    now: Date.now,
    sleep,
  };
}

/**
 * Runs `act` for each managed job (or the named ones) with that job's metrics. Jobs run one after
 * another: Flink's JobManager is shared.
 */
export async function forEachManagedJob<T>(
  plane: ControlPlane,
  jobNames: readonly string[] | undefined,
  act: (record: JobRecord, metrics: MetricRecorder) => Promise<T>,
): Promise<T[]> {
  const records = (await plane.jobs.list()).filter(
    (record) => !jobNames || jobNames.includes(record.jobName),
  );
  const outcomes: T[] = [];
  for (const record of records) outcomes.push(await act(record, plane.metricsFor(record.jobName)));
  return outcomes;
}
