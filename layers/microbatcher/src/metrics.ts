import { METRIC_NAMESPACE, type Metrics, MetricName as SharedMetricName } from '@apphub/observability';

/** CloudWatch namespace of the micro-batcher's EMF metrics. */
export const metricsNamespace = METRIC_NAMESPACE;

/** The micro-batcher's metric names (from the shared list the CDK alarms read), with dimension `Dataset`. */
export const MetricName = {
  RecordsProcessed: SharedMetricName.recordsProcessed,
  DeadLetterRecords: SharedMetricName.deadLetterRecords,
  LateRecords: SharedMetricName.lateRecords,
  WindowsSealed: SharedMetricName.windowsSealed,
  WatermarkLagSeconds: SharedMetricName.watermarkLagSeconds,
} as const;

export type MetricNameValue = (typeof MetricName)[keyof typeof MetricName];

/** Dimension value for records of a topic no descriptor reads. */
export const unroutedDataset = 'unrouted';

/**
 * Records each micro-batcher metric twice: per dataset (dimension `Dataset`) and for the whole
 * function (dimension `Service`, the set the CDK alarms read), where counts add up over datasets
 * and the watermark lag is the largest of them.
 */
export class BatcherMetrics {
  constructor(
    private readonly dataset: Metrics,
    private readonly service?: Metrics,
  ) {}

  count(name: Exclude<MetricNameValue, 'WatermarkLagSeconds'>, value: number): void {
    this.dataset.add(name, 'Count', value);
    this.service?.add(name, 'Count', value);
  }

  watermarkLag(seconds: number): void {
    this.dataset.add(MetricName.WatermarkLagSeconds, 'Seconds', seconds);
    const current = this.service?.snapshot()[MetricName.WatermarkLagSeconds];
    // Metrics sums what is added, so add only the amount by which this lag exceeds the largest so far.
    if (current === undefined) this.service?.add(MetricName.WatermarkLagSeconds, 'Seconds', seconds);
    else if (seconds > current)
      this.service?.add(MetricName.WatermarkLagSeconds, 'Seconds', seconds - current);
  }

  /** Writes the per-dataset line; the service line is flushed by the observability middleware. */
  flush(): void {
    this.dataset.flush();
  }
}
