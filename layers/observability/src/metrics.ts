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

/** Records metrics of an invocation as a whole, in its `Service` series only. */
export interface ServiceMetricRecorder {
  /** Adds `value` to `name` in the invocation's `Service` series. */
  add(name: string, unit: MetricUnitName, value?: number): void;
}

/** Records metrics for one entity (a job, a dataset) of an invocation. */
export interface MetricRecorder {
  /** Adds `value` to `name` in the invocation's `Service` series and in the entity's own series. */
  add(name: string, unit: MetricUnitName, value?: number): void;
  /** Adds `value` to `name` in the entity's own series only (see {@link entityTotal}). */
  addToOwnSeries(name: string, unit: MetricUnitName, value: number): void;
}

/**
 * A recorder whose values go into `metrics` (published with the invocation). Without `metrics`
 * (local tools whose stdout carries something else) nothing is recorded.
 */
export function serviceMetricRecorder(metrics: Metrics | undefined): ServiceMetricRecorder {
  return {
    add(name, unit, value = 1) {
      metrics?.addMetric(name, MetricUnit[unit], value);
    },
  };
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
  const service = serviceMetricRecorder(metrics);
  const addToOwnSeries: MetricRecorder['addToOwnSeries'] = (name, unit, value) => {
    if (!metrics) return;
    const series = metrics.singleMetric();
    series.clearDefaultDimensions();
    for (const [dimension, dimensionValue] of Object.entries(dimensions)) {
      series.addDimension(dimension, dimensionValue);
    }
    series.addMetric(name, MetricUnit[unit], value);
  };
  return {
    add(name, unit, value = 1) {
      service.add(name, unit, value);
      addToOwnSeries(name, unit, value);
    },
    addToOwnSeries,
  };
}

/** A metric counted over the entities of one invocation; see {@link entityTotal}. */
export interface EntityTotal {
  /** Adds the entity's `value` to its own series at once and to the invocation's total. */
  add(entity: MetricRecorder, value: number): void;
  /** Adds the total once to the `Service` series; nothing when no entity was added. */
  publish(): void;
}

/**
 * A count over the entities of one invocation whose `Service` series must say how many (jobs not
 * RUNNING): one sample per entity would let its Maximum say only whether any, one total per
 * invocation makes the Maximum the count while `>= 1` still means "any".
 */
export function entityTotal(service: ServiceMetricRecorder, name: string, unit: MetricUnitName): EntityTotal {
  let total = 0;
  let added = false;
  return {
    add(entity, value) {
      entity.addToOwnSeries(name, unit, value);
      total += value;
      added = true;
    },
    publish() {
      if (added) service.add(name, unit, total);
    },
  };
}
