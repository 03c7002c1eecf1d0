import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions } from '@aws-lambda-powertools/metrics/types';
import { METRIC_NAMESPACE, SERVICE_DIMENSION } from './metric-names.js';

export { Metrics };

/** CloudWatch metric units used by this project. */
export type MetricUnitName = 'Count' | 'Seconds';

/**
 * The one Powertools Metrics object of a function: namespace METRIC_NAMESPACE and exactly the
 * dimension `Service` = `service`, the set the CDK alarms read (Powertools' own lower-case `service`
 * dimension is dropped: a metric with another dimension set is another metric). The `observability`
 * middleware publishes what an invocation stored as one EMF line (none when it stored nothing).
 */
export function createMetrics(service: string, logger?: MetricsOptions['logger']): Metrics {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE, ...(logger ? { logger } : {}) });
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ [SERVICE_DIMENSION]: service });
  return metrics;
}

/** Records metrics for one entity (a job, a dataset) of an invocation. */
export interface MetricRecorder {
  /** Adds `value` to `name` in the invocation's `Service` series and in the entity's own series. */
  add(name: string, unit: MetricUnitName, value?: number): void;
}

/**
 * A recorder whose values go into `metrics` (published with the invocation) and, at once, into a
 * series with exactly `dimensions` (for example `{ JobName }`) through Powertools' `singleMetric()`.
 * Without `metrics` (local tools whose stdout carries something else) nothing is recorded.
 */
export function metricRecorder(
  metrics: Metrics | undefined,
  dimensions: Readonly<Record<string, string>>,
): MetricRecorder {
  return {
    add(name, unit, value = 1) {
      if (!metrics) return;
      metrics.addMetric(name, MetricUnit[unit], value);
      const series = metrics.singleMetric();
      series.clearDefaultDimensions();
      for (const [dimension, dimensionValue] of Object.entries(dimensions)) {
        series.addDimension(dimension, dimensionValue);
      }
      series.addMetric(name, MetricUnit[unit], value);
    },
  };
}
