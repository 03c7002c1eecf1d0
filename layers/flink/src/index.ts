export {
  FlinkError,
  FlinkJobNotFoundError,
  FlinkRequestError,
  FlinkResponseInvalidError,
  FlinkSavepointError,
  FlinkSavepointTimeoutError,
  FlinkSqlError,
  FlinkUnreachableError,
  SqlTemplateValueInvalidError,
  SqlTemplateVariableMissingError,
} from './errors.js';
export { type FlinkHttpOptions, sleep } from './http.js';
export {
  FlinkJobMetricsClient,
  type JobTopology,
  type JobVertexInput,
  type JobVertexTopology,
  type SubtaskMetricAggregate,
} from './job-metrics.js';
export {
  type CheckpointStats,
  type ClusterOverview,
  type CompletedCheckpoint,
  FLINK_PROBE_TIMEOUT_MS,
  type FlinkJob,
  type FlinkJobState,
  FlinkRestClient,
  type FlinkRestClientOptions,
  flinkJobStateSchema,
  isTerminal,
  parseFlinkResponse,
  type SavepointStatus,
  type TaskManagerInfo,
} from './rest-client.js';
export { flinkRootCause } from './root-cause.js';
export {
  SqlGatewayClient,
  type SqlGatewayClientOptions,
  type SqlOperation,
  type SqlSession,
  type SqlStatementResult,
  type SqlSubmission,
} from './sql-gateway-client.js';
export {
  renderSqlTemplate,
  type SqlOptionList,
  type SqlTemplateValue,
  splitSqlStatements,
  sqlOptions,
} from './sql-template.js';
