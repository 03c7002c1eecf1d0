export { createLogger, LOG_LEVELS, Logger, type LoggerOptions, type LogLevel } from './logger.js';
export { FunctionFolder, METRIC_NAMESPACE, MetricName, SERVICE_DIMENSION } from './metric-names.js';
export {
  createMetrics,
  type EntityTotal,
  entityTotal,
  type MetricRecorder,
  Metrics,
  type MetricUnitName,
  metricRecorder,
  type ServiceMetricRecorder,
  serviceMetricRecorder,
} from './metrics.js';
export { observability } from './middleware.js';
