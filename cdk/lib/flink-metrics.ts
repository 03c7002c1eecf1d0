import { platform } from '@apphub/platform/settings';
import { stringify } from 'yaml';

/**
 * The Flink metrics shipped to CloudWatch: their names as Flink's Prometheus reporter exports them
 * (Flink 2.2, `<scope>_<metric>`), one list for the ECS sidecar's scrape filter, the CloudWatch
 * alarms and dashboard, and an integration test that checks each name on the native stack's
 * Prometheus endpoints. Metric reference:
 * https://nightlies.apache.org/flink/flink-docs-release-2.2/docs/ops/metrics/#system-metrics
 */

/** CloudWatch namespace of the Flink metrics (the Lambdas' own metrics are in AppHub/Streaming). */
export const FLINK_METRIC_NAMESPACE = 'AppHub/Flink';

/** Dimension naming the deployment (its stack prefix), so deployments in one account stay apart. */
export const DEPLOYMENT_DIMENSION = 'Deployment';

/** Flink's label for the job name; job and task metrics also carry it as a dimension. */
export const JOB_NAME_DIMENSION = 'job_name';

/**
 * Where a metric comes from: the JobManager process (`jobmanager`), one job on the JobManager
 * (`job`), or a task/operator of a job on a TaskManager (`task`).
 */
export type FlinkMetricScope = 'jobmanager' | 'job' | 'task';

export interface FlinkMetric {
  /** The Prometheus name, e.g. flink_jobmanager_job_numRestarts. */
  readonly name: string;
  readonly scope: FlinkMetricScope;
  /** How CloudWatch combines the samples of one period (several subtasks or jobs report at once). */
  readonly statistic: 'Maximum' | 'Minimum';
  /** Unit the EMF records declare. */
  readonly unit: 'Count' | 'Milliseconds' | 'None';
  readonly description: string;
}

/** Every Flink metric the sidecars ship, by the key the alarms and dashboard use. */
export const FLINK_METRICS = {
  registeredTaskManagers: {
    name: 'flink_jobmanager_numRegisteredTaskManagers',
    scope: 'jobmanager',
    statistic: 'Minimum',
    unit: 'Count',
    description: 'TaskManagers registered with the JobManager',
  },
  taskSlotsAvailable: {
    name: 'flink_jobmanager_taskSlotsAvailable',
    scope: 'jobmanager',
    statistic: 'Minimum',
    unit: 'Count',
    description: 'free task slots',
  },
  taskSlotsTotal: {
    name: 'flink_jobmanager_taskSlotsTotal',
    scope: 'jobmanager',
    statistic: 'Minimum',
    unit: 'Count',
    description: 'task slots of all registered TaskManagers',
  },
  restarts: {
    name: 'flink_jobmanager_job_numRestarts',
    scope: 'job',
    statistic: 'Maximum',
    unit: 'Count',
    description: 'restarts of a job since it was submitted',
  },
  lastCheckpointDuration: {
    name: 'flink_jobmanager_job_lastCheckpointDuration',
    scope: 'job',
    statistic: 'Maximum',
    unit: 'Milliseconds',
    description: 'duration of the last completed checkpoint',
  },
  failedCheckpoints: {
    name: 'flink_jobmanager_job_numberOfFailedCheckpoints',
    scope: 'job',
    statistic: 'Maximum',
    unit: 'Count',
    description: 'failed checkpoints of a job since it was submitted',
  },
  completedCheckpoints: {
    name: 'flink_jobmanager_job_numberOfCompletedCheckpoints',
    scope: 'job',
    statistic: 'Maximum',
    unit: 'Count',
    description: 'completed checkpoints of a job since it was submitted',
  },
  downtime: {
    name: 'flink_jobmanager_job_downtime',
    scope: 'job',
    statistic: 'Maximum',
    unit: 'Milliseconds',
    description: 'time a failing or restarting job has been down',
  },
  uptime: {
    name: 'flink_jobmanager_job_uptime',
    scope: 'job',
    statistic: 'Minimum',
    unit: 'Milliseconds',
    description: 'time a job has been running without interruption',
  },
  busyTime: {
    name: 'flink_taskmanager_job_task_busyTimeMsPerSecond',
    scope: 'task',
    statistic: 'Maximum',
    unit: 'Milliseconds',
    description: 'ms per second a task is busy (1000 = saturated), worst subtask',
  },
  backPressuredTime: {
    name: 'flink_taskmanager_job_task_backPressuredTimeMsPerSecond',
    scope: 'task',
    statistic: 'Maximum',
    unit: 'Milliseconds',
    description: 'ms per second a task is back-pressured, worst subtask',
  },
  recordsLag: {
    name: 'flink_taskmanager_job_task_operator_KafkaSourceReader_KafkaConsumer_records_lag_max',
    scope: 'task',
    statistic: 'Maximum',
    unit: 'Count',
    description: 'records the Kafka source is behind its partitions, worst reader',
  },
  lateRecordsDropped: {
    name: 'flink_taskmanager_job_task_operator_numLateRecordsDropped',
    scope: 'task',
    statistic: 'Maximum',
    unit: 'Count',
    description: 'records a window operator dropped as late since the job started, worst subtask',
  },
} as const satisfies Record<string, FlinkMetric>;

/** The Prometheus names of FLINK_METRICS. */
export const FLINK_METRIC_NAMES: readonly string[] = Object.values(FLINK_METRICS).map(
  (metric) => metric.name,
);

/** The dimension sets a metric of `scope` is published with in CloudWatch. */
export function dimensionSetsOf(scope: FlinkMetricScope): string[][] {
  // Job and task metrics also roll up to the deployment, so an alarm covers every job without
  // knowing job names in advance.
  return scope === 'jobmanager'
    ? [[DEPLOYMENT_DIMENSION]]
    : [[DEPLOYMENT_DIMENSION], [DEPLOYMENT_DIMENSION, JOB_NAME_DIMENSION]];
}

/**
 * The CloudWatch agent that runs beside a Flink process, from ECR Public
 * (https://gallery.ecr.aws/cloudwatch-agent/cloudwatch-agent) through the deployment's pull-through
 * cache: pinned by a release tag (1.300062.0b1304, published by AWS and pinned as
 * `public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300062.0b1304` in public deployments, checked
 * 2026-12-07); the image is multi-architecture, so the tag serves the X86_64 tasks. It scrapes the
 * Prometheus reporter on localhost and writes the selected metrics as EMF.
 */
export const CLOUDWATCH_AGENT_IMAGE = Object.freeze({
  repository: 'cloudwatch-agent/cloudwatch-agent',
  tag: '1.300062.0b1304',
});

/** The scrape job name the agent gives Flink's samples (Prometheus label `job`). */
const SCRAPE_JOB = 'flink';

/**
 * The agent's Prometheus configuration (PROMETHEUS_CONFIG_CONTENT): scrape the reporter of the
 * process in the same task every minute, label each sample with the deployment, and keep only
 * FLINK_METRICS.
 */
export function prometheusScrapeConfig(deployment: string, component: string): string {
  return stringify({
    global: { scrape_interval: '1m', scrape_timeout: '10s' },
    scrape_configs: [
      {
        job_name: SCRAPE_JOB,
        sample_limit: 10_000,
        static_configs: [
          {
            targets: [`localhost:${platform.ports.prometheusJobManager}`],
            labels: { [DEPLOYMENT_DIMENSION]: deployment, component },
          },
        ],
        metric_relabel_configs: [
          { source_labels: ['__name__'], regex: `(${FLINK_METRIC_NAMES.join('|')})`, action: 'keep' },
        ],
      },
    ],
  });
}

/**
 * The agent's own configuration (CW_CONFIG_CONTENT): Prometheus metrics from
 * PROMETHEUS_CONFIG_CONTENT as EMF into `logGroupName`, one declaration per scope. Format:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ContainerInsights-Prometheus-Setup-configure-ECS.html
 */
export function cloudWatchAgentConfig(logGroupName: string): Record<string, unknown> {
  const scopes: FlinkMetricScope[] = ['jobmanager', 'job', 'task'];
  const metrics: readonly FlinkMetric[] = Object.values(FLINK_METRICS);
  return {
    logs: {
      metrics_collected: {
        prometheus: {
          log_group_name: logGroupName,
          prometheus_config_path: 'env:PROMETHEUS_CONFIG_CONTENT',
          emf_processor: {
            metric_declaration_dedup: true,
            metric_namespace: FLINK_METRIC_NAMESPACE,
            metric_unit: Object.fromEntries(metrics.map((metric) => [metric.name, metric.unit])),
            metric_declaration: scopes.map((scope) => ({
              source_labels: ['job'],
              label_matcher: `^${SCRAPE_JOB}$`,
              dimensions: dimensionSetsOf(scope),
              metric_selectors: metrics
                .filter((metric) => metric.scope === scope)
                .map((metric) => `^${metric.name}$`),
            })),
          },
        },
      },
      force_flush_interval: 5,
    },
  };
}
