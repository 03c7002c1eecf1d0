export {
  type AggregateComparison,
  type ComparableAggregate,
  canonicalDecimal,
  comparable,
  compareAggregates,
  describeComparison,
  matches,
} from './compare.js';
export { type DeployedSmokeConfig, parseDeployedSmokeConfig, runDeployedSmoke } from './deployed.js';
export { SmokeError, SmokeRequestInvalidError, SmokeStepFailedError } from './errors.js';
export { isSmokeId, isSmokeRow, newSmokeRunId, SMOKE_ID_PREFIX, smokeRunPrefix } from './marker.js';
export { formatSmokeReport, parseSmokeReport } from './report.js';
export {
  parseAggregate,
  runSmoke,
  type SmokeContext,
  type SmokeOptions,
  type SmokePreparation,
  type SmokeReport,
  type SmokeStatus,
  type SmokeStep,
} from './run.js';
export {
  closingEvents,
  isSampleUser,
  type PlacedEvent,
  type SmokeSample,
  smokeProductionTime,
  smokeSample,
} from './sample.js';
