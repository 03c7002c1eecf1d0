/**
 * The custom metrics the alarms and dashboard read. The Lambdas publish them as CloudWatch EMF
 * through Powertools (`createMetrics('<function folder>')`, dimension `Service`); a metric published with a
 * different namespace, name or dimension set is a different metric and no alarm would see it.
 * docs/deploy.md lists the same names. One list for the functions that publish and the CDK that alarms.
 */
export const METRIC_NAMESPACE = 'AppHub/Streaming';

/** The one dimension every custom metric carries; its value is the function's folder name. */
export const SERVICE_DIMENSION = 'Service';

export const MetricName = {
  /** micro-batcher: records decoded and stored in this invocation (Count). */
  recordsProcessed: 'RecordsProcessed',
  /** micro-batcher: windows sealed or re-sealed (Count). */
  windowsSealed: 'WindowsSealed',
  /** micro-batcher: records written to the dead-letter prefix in this invocation (Count). */
  deadLetterRecords: 'DeadLetterRecords',
  /** micro-batcher: records whose window was already sealed (Count). */
  lateRecords: 'LateRecords',
  /** micro-batcher: now minus the dataset watermark after the batch, largest over datasets (Seconds). */
  watermarkLagSeconds: 'WatermarkLagSeconds',
  /**
   * reconcile: desired jobs not RUNNING in Flink, published every run, 0 included (Count): 0/1 per
   * JobName, and the run's count once in the Service series.
   */
  jobsNotRunning: 'JobsNotRunning',
  /** reconcile: checkpoints failed since the previous reconcile run, summed over jobs (Count). */
  failedCheckpoints: 'FailedCheckpoints',
  /** reconcile: job restarts since the previous reconcile run, summed over jobs (Count). */
  jobRestarts: 'JobRestarts',
  /** savepoint: savepoints that failed or timed out (Count). */
  savepointsFailed: 'SavepointsFailed',
  /** savepoint: savepoints completed and recorded (Count). */
  savepointsCompleted: 'SavepointsCompleted',
  /** reconcile: jobs resubmitted from a checkpoint or savepoint (Count). */
  resubmissions: 'Resubmissions',
  /**
   * reconcile: the parallelism the autoscaler decided for a job in this run (the current one when it
   * changes nothing), per JobName (Count); absent while the autoscaler is off for the job.
   */
  autoscaleParallelism: 'AutoscaleParallelism',
  /** every function: invocations that threw (Count); Lambda's own Errors metric is what alarms read. */
  invocationErrors: 'InvocationErrors',
} as const;

/** Function folders under functions/, also the Service dimension values. */
export const FunctionFolder = {
  microBatcher: 'micro-batcher',
  submitSql: 'submit-sql',
  savepoint: 'savepoint',
  reconcile: 'reconcile',
  rescale: 'rescale',
  topicManager: 'topic-manager',
  smoke: 'smoke',
} as const;
