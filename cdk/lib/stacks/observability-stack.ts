import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { AppOptions } from '../config.js';
import { FunctionFolder, METRIC_NAMESPACE, MetricName, SERVICE_DIMENSION } from '../metric-names.js';

export interface ObservabilityStackProps extends StackProps {
  readonly options: AppOptions;
  readonly functions: {
    readonly microBatcher: lambda.IFunction;
    readonly submitSql: lambda.IFunction;
    readonly savepoint: lambda.IFunction;
    readonly reconcile: lambda.IFunction;
  };
  readonly flinkServices: {
    readonly jobManager: ecs.FargateService;
    readonly taskManagers: ecs.FargateService;
    readonly sqlGateway: ecs.FargateService;
  };
}

/**
 * Alarms on the signals the AWS-managed Flink service recommends (downtime, failed checkpoints,
 * restarts) plus the micro-batcher's (errors, dead letters, watermark lag), and one dashboard.
 */
export class ObservabilityStack extends Stack {
  readonly alarms: Record<
    | 'jobsNotRunning'
    | 'failedCheckpoints'
    | 'jobRestarts'
    | 'microBatcherErrors'
    | 'controlPlaneErrors'
    | 'deadLetterGrowth'
    | 'staleWatermark'
    | 'savepointsFailed',
    cloudwatch.Alarm
  >;

  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id, props);
    const { options, functions, flinkServices } = props;
    const reconcilePeriod = Duration.minutes(Math.max(options.reconcileScheduleMinutes, 1));
    const custom = (service: string, metricName: string, statistic: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { [SERVICE_DIMENSION]: service },
        statistic,
        period,
      });

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

    const alarm = (
      alarmId: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      description: string,
      treatMissingData: cloudwatch.TreatMissingData,
      evaluationPeriods = 1,
    ) => {
      const created = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData,
        alarmDescription: description,
      });
      if (options.alarmTopicArn) {
        const topic = sns.Topic.fromTopicArn(this, `${alarmId}Topic`, options.alarmTopicArn);
        created.addAlarmAction(new actions.SnsAction(topic));
        created.addOkAction(new actions.SnsAction(topic));
      }
      return created;
    };

    const { BREACHING, NOT_BREACHING } = cloudwatch.TreatMissingData;
    this.alarms = {
      // reconcile reports this on every run, so silence means the control loop itself is down.
      jobsNotRunning: alarm(
        'JobsNotRunning',
        jobsNotRunning,
        1,
        'A desired Flink job is not RUNNING (or reconcile stopped reporting).',
        BREACHING,
        2,
      ),
      failedCheckpoints: alarm(
        'FailedCheckpoints',
        failedCheckpoints,
        1,
        'A Flink job failed a checkpoint.',
        NOT_BREACHING,
      ),
      jobRestarts: alarm(
        'JobRestarts',
        jobRestarts,
        options.jobRestartsThreshold,
        `A Flink job restarted ${options.jobRestartsThreshold}+ times in 15 minutes.`,
        NOT_BREACHING,
      ),
      microBatcherErrors: alarm(
        'MicroBatcherErrors',
        functions.microBatcher.metricErrors({ period: Duration.minutes(5) }),
        1,
        'The micro-batcher failed an invocation; its batch will be retried.',
        NOT_BREACHING,
      ),
      controlPlaneErrors: alarm(
        'ControlPlaneErrors',
        controlPlaneErrors,
        1,
        'submit-sql, savepoint or reconcile failed an invocation.',
        NOT_BREACHING,
      ),
      deadLetterGrowth: alarm(
        'DeadLetterGrowth',
        deadLetters,
        1,
        'The micro-batcher wrote records to the dead-letter prefix.',
        NOT_BREACHING,
      ),
      // No data means no batches, not a late watermark; idle topics are the reconcile alarms' concern.
      savepointsFailed: alarm(
        'SavepointsFailed',
        failedSavepoints,
        1,
        'A scheduled savepoint failed or timed out.',
        NOT_BREACHING,
      ),
      staleWatermark: alarm(
        'StaleWatermark',
        watermarkLag,
        options.staleWatermarkSeconds,
        `A dataset watermark lags more than ${options.staleWatermarkSeconds} s.`,
        NOT_BREACHING,
        3,
      ),
    };

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${options.stackPrefix}-streaming`,
    });
    const graph = (title: string, metrics: cloudwatch.IMetric[]) =>
      new cloudwatch.GraphWidget({ title, left: metrics, width: 8 });
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms), width: 24 }),
    );
    dashboard.addWidgets(
      graph('Flink jobs', [jobsNotRunning, failedCheckpoints, jobRestarts]),
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
  }
}
