import {
  FunctionFolder,
  METRIC_NAMESPACE,
  MetricName,
  SERVICE_DIMENSION,
} from '@apphub/observability/metric-names';
import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { AppOptions } from '../config.js';
import type { FailedBatchDestination } from '../constructs/failed-batch-destination.js';
import {
  DEPLOYMENT_DIMENSION,
  FLINK_METRIC_NAMESPACE,
  FLINK_METRICS,
  type FlinkMetric,
} from '../flink-metrics.js';

/** The dashboard's name for the JobsNotRunning series: how many desired jobs were not RUNNING. */
export const JOBS_NOT_RUNNING_LABEL = 'Jobs not RUNNING';

export interface ObservabilityStackProps extends StackProps {
  readonly options: AppOptions;
  readonly functions: {
    readonly microBatcher: lambda.IFunction;
    readonly submitSql: lambda.IFunction;
    readonly savepoint: lambda.IFunction;
    readonly reconcile: lambda.IFunction;
  };
  /** The Kafka event sources' on-failure destination, when onFailureDestination is s3. */
  readonly failedBatches?: FailedBatchDestination | undefined;
  readonly flinkServices: {
    readonly jobManager: ecs.FargateService;
    readonly taskManagers: ecs.FargateService;
    readonly sqlGateway: ecs.FargateService;
  };
}

/**
 * Alarms on the signals the AWS-managed Flink service recommends (downtime, failed checkpoints,
 * restarts) plus the micro-batcher's (errors, dead letters, watermark lag), alarms on Flink's own
 * metrics the runbook names (registered TaskManagers, checkpoint duration, restarts, failed
 * checkpoints, records lag, busy time), and one dashboard.
 */
export class ObservabilityStack extends Stack {
  readonly alarms: Record<
    | 'jobsNotRunning'
    | 'reconcileSilent'
    | 'failedCheckpoints'
    | 'jobRestarts'
    | 'microBatcherErrors'
    | 'controlPlaneErrors'
    | 'deadLetterGrowth'
    | 'staleWatermark'
    | 'savepointsFailed'
    | 'offsetLag',
    cloudwatch.Alarm
  > & {
    /** Present when failed batches go to S3 (onFailureDestination s3). */
    readonly failedBatchLanded?: cloudwatch.Alarm;
  };
  /** Alarms on Flink's own metrics (the sidecars' EMF in FLINK_METRIC_NAMESPACE), as the runbook names them. */
  readonly flinkAlarms: Record<
    'taskManagersMissing' | 'checkpointDuration' | 'restarts' | 'failedCheckpoints' | 'recordsLag' | 'busy',
    cloudwatch.Alarm
  >;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { options, functions, flinkServices } = props;
    const reconcilePeriod = Duration.minutes(Math.max(options.controlPlane.reconcileScheduleMinutes, 1));
    const custom = (service: string, metricName: string, statistic: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { [SERVICE_DIMENSION]: service },
        statistic,
        period,
      });

    // reconcile publishes each pass's count of desired jobs not RUNNING once in the Service series, so
    // its Maximum is that count on the dashboard and >= 1 means "any" for the alarm.
    const jobsNotRunning = custom(
      FunctionFolder.reconcile,
      MetricName.jobsNotRunning,
      'Maximum',
      reconcilePeriod,
    );
    const failedCheckpoints = custom(
      FunctionFolder.reconcile,
      MetricName.failedCheckpoints,
      'Sum',
      reconcilePeriod,
    );
    const jobRestarts = custom(FunctionFolder.reconcile, MetricName.jobRestarts, 'Sum', Duration.minutes(15));
    const deadLetters = custom(
      FunctionFolder.microBatcher,
      MetricName.deadLetterRecords,
      'Sum',
      Duration.minutes(5),
    );
    const lateRecords = custom(
      FunctionFolder.microBatcher,
      MetricName.lateRecords,
      'Sum',
      Duration.minutes(5),
    );
    const watermarkLag = custom(
      FunctionFolder.microBatcher,
      MetricName.watermarkLagSeconds,
      'Maximum',
      Duration.minutes(5),
    );
    const failedSavepoints = custom(
      FunctionFolder.savepoint,
      MetricName.savepointsFailed,
      'Sum',
      Duration.hours(1),
    );
    // Records between the topic's end and what the micro-batcher's consumer group processed, at the
    // topic level; AWS/Lambda, per function. https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
    const offsetLag = new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: 'OffsetLag',
      dimensionsMap: { FunctionName: functions.microBatcher.functionName },
      statistic: 'Maximum',
      period: Duration.minutes(5),
    });
    const controlPlaneErrors = new cloudwatch.MathExpression({
      expression: 'submitSql + savepoint + reconcile',
      usingMetrics: {
        submitSql: functions.submitSql.metricErrors({ period: Duration.minutes(5) }),
        savepoint: functions.savepoint.metricErrors({ period: Duration.minutes(5) }),
        reconcile: functions.reconcile.metricErrors({ period: Duration.minutes(5) }),
      },
      label: 'Control-plane errors',
      period: Duration.minutes(5),
    });

    const topic = options.alarms.topicArn
      ? new actions.SnsAction(sns.Topic.fromTopicArn(this, 'AlarmTopic', options.alarms.topicArn))
      : undefined;
    const { BREACHING, NOT_BREACHING } = cloudwatch.TreatMissingData;
    const alarm = (
      alarmId: string,
      settings: {
        metric: cloudwatch.IMetric;
        threshold: number;
        description: string;
        /** Default: missing data is not breaching (no data means nothing happened). */
        whenMissing?: cloudwatch.TreatMissingData;
        evaluationPeriods?: number;
        /** Alarm when the metric falls below the threshold instead of reaching it. */
        below?: boolean;
      },
    ) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric: settings.metric,
        threshold: settings.threshold,
        evaluationPeriods: settings.evaluationPeriods ?? 1,
        comparisonOperator: settings.below
          ? cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD
          : cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: settings.whenMissing ?? NOT_BREACHING,
        alarmDescription: settings.description,
      });
      if (topic) {
        created.addAlarmAction(topic);
        created.addOkAction(topic);
      }
      return created;
    };

    this.alarms = {
      jobsNotRunning: alarm(MetricName.jobsNotRunning, {
        metric: jobsNotRunning,
        threshold: 1,
        description: 'A desired Flink job is not RUNNING.',
        evaluationPeriods: 2,
      }),
      // reconcile only reports jobs that exist, so its own silence needs an alarm of its own.
      reconcileSilent: alarm('ReconcileSilent', {
        metric: functions.reconcile.metricInvocations({ period: reconcilePeriod }),
        threshold: 1,
        below: true,
        whenMissing: BREACHING,
        evaluationPeriods: 3,
        description: 'reconcile has not run for 3 schedule periods: nobody is watching the Flink jobs.',
      }),
      failedCheckpoints: alarm(MetricName.failedCheckpoints, {
        metric: failedCheckpoints,
        threshold: 1,
        description: 'A Flink job failed a checkpoint.',
      }),
      jobRestarts: alarm(MetricName.jobRestarts, {
        metric: jobRestarts,
        threshold: options.alarms.jobRestartsThreshold,
        description: `A Flink job restarted ${options.alarms.jobRestartsThreshold}+ times in 15 minutes.`,
      }),
      microBatcherErrors: alarm('MicroBatcherErrors', {
        metric: functions.microBatcher.metricErrors({ period: Duration.minutes(5) }),
        threshold: 1,
        description: 'The micro-batcher failed an invocation; its batch will be retried.',
      }),
      controlPlaneErrors: alarm('ControlPlaneErrors', {
        metric: controlPlaneErrors,
        threshold: 1,
        description: 'submit-sql, savepoint or reconcile failed an invocation.',
      }),
      deadLetterGrowth: alarm('DeadLetterGrowth', {
        metric: deadLetters,
        threshold: 1,
        description: 'The micro-batcher wrote records to a dead-letter prefix.',
      }),
      savepointsFailed: alarm(MetricName.savepointsFailed, {
        metric: failedSavepoints,
        threshold: 1,
        description: 'A scheduled savepoint failed or timed out.',
      }),
      // No data means no batches, not a late watermark.
      staleWatermark: alarm('StaleWatermark', {
        metric: watermarkLag,
        threshold: options.alarms.staleWatermarkSeconds,
        description: `A dataset watermark lags more than ${options.alarms.staleWatermarkSeconds} s.`,
        evaluationPeriods: 3,
      }),
      // Lambda emits OffsetLag while it processes records; no data means nothing to catch up on.
      offsetLag: alarm('MicroBatcherOffsetLag', {
        metric: offsetLag,
        threshold: options.alarms.offsetLagRecords,
        description: `The micro-batcher's event sources have been ${options.alarms.offsetLagRecords}+ records behind a topic for 15 minutes.`,
        evaluationPeriods: 3,
      }),
      ...(props.failedBatches
        ? {
            failedBatchLanded: alarm('FailedBatchLanded', {
              metric: props.failedBatches.metricLanded(),
              threshold: 1,
              description:
                'A Kafka batch failed after its retries and was written to the failed-batch bucket: its offsets were committed and its records are in no dataset until it is replayed (docs/microbatcher.md).',
            }),
          }
        : {}),
    };

    const flink = (metric: FlinkMetric, period = Duration.minutes(5)) =>
      new cloudwatch.Metric({
        namespace: FLINK_METRIC_NAMESPACE,
        metricName: metric.name,
        dimensionsMap: { [DEPLOYMENT_DIMENSION]: options.stackPrefix },
        statistic: metric.statistic,
        period,
        label: metric.description,
      });
    // Flink's counters are gauges that grow from the job's start: the alarm reads the growth (DIFF is
    // one of the metric math functions alarms accept:
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html#metric-math-syntax).
    const growth = (metric: FlinkMetric, period: Duration) =>
      new cloudwatch.MathExpression({
        expression: 'DIFF(m)',
        usingMetrics: { m: flink(metric, period) },
        label: `increase of ${metric.name}`,
        period,
      });
    const {
      registeredTaskManagers,
      lastCheckpointDuration,
      restarts,
      failedCheckpoints: failed,
    } = FLINK_METRICS;
    this.flinkAlarms = {
      // No data means no JobManager reporting: that is breaching too.
      taskManagersMissing: alarm('FlinkTaskManagersMissing', {
        metric: flink(registeredTaskManagers),
        threshold: options.flink.taskManager.count,
        below: true,
        whenMissing: BREACHING,
        evaluationPeriods: 2,
        description: `Fewer than ${options.flink.taskManager.count} TaskManagers are registered with the JobManager (${registeredTaskManagers.name}).`,
      }),
      checkpointDuration: alarm('FlinkCheckpointDuration', {
        metric: flink(lastCheckpointDuration),
        threshold: options.alarms.checkpointDurationSeconds * 1000,
        evaluationPeriods: 3,
        description: `A checkpoint took ${options.alarms.checkpointDurationSeconds}+ s (${lastCheckpointDuration.name}).`,
      }),
      restarts: alarm('FlinkRestarts', {
        metric: growth(restarts, Duration.minutes(15)),
        threshold: options.alarms.jobRestartsThreshold,
        description: `A Flink job restarted ${options.alarms.jobRestartsThreshold}+ times in 15 minutes (${restarts.name}).`,
      }),
      failedCheckpoints: alarm('FlinkFailedCheckpoints', {
        metric: growth(failed, Duration.minutes(5)),
        threshold: 1,
        description: `A Flink job failed a checkpoint (${failed.name}).`,
      }),
      recordsLag: alarm('FlinkRecordsLag', {
        metric: flink(FLINK_METRICS.recordsLag),
        threshold: options.alarms.recordsLagThreshold,
        evaluationPeriods: 3,
        description: `A Kafka source is ${options.alarms.recordsLagThreshold}+ records behind for 15 minutes (${FLINK_METRICS.recordsLag.name}).`,
      }),
      busy: alarm('FlinkBusy', {
        metric: flink(FLINK_METRICS.busyTime),
        threshold: options.alarms.busyTimePercent * 10,
        evaluationPeriods: 3,
        description: `A Flink task is busy ${options.alarms.busyTimePercent}%+ of the time for 15 minutes (${FLINK_METRICS.busyTime.name}).`,
      }),
    };

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${options.stackPrefix}-streaming`,
    });
    const graph = (title: string, metrics: cloudwatch.IMetric[]) =>
      new cloudwatch.GraphWidget({ title, left: metrics, width: 8 });
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...Object.values(this.alarms), ...Object.values(this.flinkAlarms)],
        width: 24,
      }),
    );
    dashboard.addWidgets(
      // Labelled here only: a labelled metric makes the alarm a metric-math alarm.
      graph('Flink jobs', [
        jobsNotRunning.with({ label: JOBS_NOT_RUNNING_LABEL }),
        failedCheckpoints,
        jobRestarts,
      ]),
      graph('Savepoints', [failedSavepoints]),
      graph('Flink CPU %', [
        flinkServices.jobManager.metricCpuUtilization(),
        flinkServices.taskManagers.metricCpuUtilization(),
        flinkServices.sqlGateway.metricCpuUtilization(),
      ]),
    );
    dashboard.addWidgets(
      graph('Micro-batcher records', [deadLetters, lateRecords]),
      graph('Watermark lag (s)', [watermarkLag]),
      graph('Lambda errors', [functions.microBatcher.metricErrors(), controlPlaneErrors]),
    );
    dashboard.addWidgets(
      graph('Kafka offset lag (records)', [offsetLag]),
      ...(props.failedBatches ? [graph('Failed batches landed', [props.failedBatches.metricLanded()])] : []),
    );
    dashboard.addWidgets(
      graph('Micro-batcher duration', [functions.microBatcher.metricDuration()]),
      graph('Flink memory %', [
        flinkServices.jobManager.metricMemoryUtilization(),
        flinkServices.taskManagers.metricMemoryUtilization(),
      ]),
      graph(
        'Lambda invocations',
        [functions.microBatcher, functions.submitSql, functions.savepoint, functions.reconcile].map((fn) =>
          fn.metricInvocations(),
        ),
      ),
    );
    const m = FLINK_METRICS;
    dashboard.addWidgets(
      graph('Flink TaskManagers and slots', [
        flink(m.registeredTaskManagers),
        flink(m.taskSlotsTotal),
        flink(m.taskSlotsAvailable),
      ]),
      graph('Flink checkpoints', [
        flink(m.lastCheckpointDuration),
        flink(m.failedCheckpoints),
        flink(m.completedCheckpoints),
      ]),
      graph('Flink job restarts and downtime', [flink(m.restarts), flink(m.downtime), flink(m.uptime)]),
    );
    dashboard.addWidgets(
      graph('Flink busy and back-pressured (ms/s)', [flink(m.busyTime), flink(m.backPressuredTime)]),
      graph('Flink Kafka records lag', [flink(m.recordsLag)]),
      graph('Flink late records dropped', [flink(m.lateRecordsDropped)]),
    );
  }
}
