import { MetricName, type MetricRecorder, type Metrics, metricRecorder } from '@apphub/observability';

/** Dimension value for records of a topic no descriptor reads. */
export const unroutedDataset = 'unrouted';

/**
 * Records each micro-batcher metric twice: in a series of its dataset (dimension `Dataset`) and in
 * the invocation's metrics (dimension `Service`, the set the CDK alarms read; each dataset's value
 * is one sample, so Sum adds the counts up and Maximum is the largest watermark lag).
 */
export class BatcherMetrics {
  private readonly recorder: MetricRecorder;

  constructor(dataset: string, metrics: Metrics | undefined) {
    this.recorder = metricRecorder(metrics, { Dataset: dataset });
  }

  count(
    name: Exclude<(typeof MetricName)[keyof typeof MetricName], typeof MetricName.watermarkLagSeconds>,
    value: number,
  ): void {
    this.recorder.add(name, 'Count', value);
  }

  watermarkLag(seconds: number): void {
    this.recorder.add(MetricName.watermarkLagSeconds, 'Seconds', seconds);
  }
}
