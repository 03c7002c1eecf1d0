export {
  type AlignedParallelism,
  alignToKeyGroups,
  greatestCommonDivisor,
  type KeyGroupAlignment,
} from './autoscale/alignment.js';
export {
  type AutoscaleDecision,
  autoscaleDecisionRecord,
  autoscaleHistorySince,
  decideAutoscale,
} from './autoscale/decide.js';
export { type AutoscaleEvaluation, evaluateAutoscale } from './autoscale/evaluate.js';
export {
  type AutoscaleObservation,
  type AutoscaleObserveClients,
  type AutoscaleVertexObservation,
  observeAutoscale,
  type SubtaskTimeShare,
  sourceMetricNames,
  taskMetricNames,
} from './autoscale/observation.js';
export { type AutoscaleOutcome, type AutoscalePassOptions, runAutoscale } from './autoscale/pass.js';
export {
  type AutoscaleAction,
  type AutoscaleDecisionRecord,
  type AutoscaleInputs,
  type AutoscaleReason,
  type AutoscaleReasonCode,
  type AutoscaleVertexEvaluation,
  autoscaleReasonCodes,
  parseAutoscaleDecisionRecord,
} from './autoscale/records.js';
export {
  type AutoscaleJobSettings,
  type AutoscaleSettings,
  autoscaleJobSettingsSchema,
  autoscaleSettingDefaults,
  autoscaleSettingsSchema,
  parseAutoscaleJobSettings,
  parseAutoscaleSettings,
  resolveAutoscaleSettings,
} from './autoscale/settings.js';
export { type AutoscaleDecisionStore, AutoscaleDecisionTable } from './autoscale/store.js';
export {
  type ControlPlane,
  type ControlPlaneOptions,
  createControlPlane,
  forEachManagedJob,
} from './context.js';
export {
  backoffAfter,
  chooseRestore,
  decideLiveJob,
  decideReconcile,
  decideRestoreJob,
  decideRetention,
  decideSavepoint,
  isAlive,
  isJobManagerReady,
  type LiveJobDecision,
  type ObservedJob,
  type ObservedSnapshot,
  planRescale,
  type ReconcileDecision,
  type RescaleObservation,
  type RescalePlan,
  type RestoreJobDecision,
  type SavepointDecision,
  type TaskManagerChange,
  taskManagersFor,
  unmanagedJobNames,
} from './decisions.js';
export {
  checkpointRetentionKey,
  deploy,
  deploymentStatements,
  hashSql,
  matchFlinkJob,
  unrestorableReason,
} from './deploy.js';
export { EcsTaskManagerScaler } from './ecs-task-managers.js';
export {
  ControlPlaneError,
  ControlPlaneEventInvalidError,
  ControlPlaneJobManagerNotReadyError,
  ControlPlaneJobStateError,
  ControlPlaneJobUnknownError,
  ControlPlaneRecordInvalidError,
  type ControlPlaneRefusal,
  ControlPlaneRescaleError,
  ControlPlaneRestoreMissingError,
  ControlPlaneScalingError,
  ControlPlaneStorageError,
} from './errors.js';
export {
  parseReconcileEvent,
  parseScheduledEvent,
  type ReconcileTrigger,
  type ScheduledEvent,
  scheduledEventSchema,
  type TaskStateChangeEvent,
  taskStateChangeEventSchema,
} from './events.js';
export {
  handleReconcileEvent,
  handleRescaleEvent,
  handleSavepointEvent,
  handleSubmitSqlEvent,
  type InvocationTiming,
} from './handlers.js';
export {
  findLiveJob,
  type ManualSavepointResult,
  type RestoreJobResult,
  restoreJob,
  type StopJobResult,
  savepointJob,
  stopJob,
} from './job-operations.js';
export {
  type ClusterStatus,
  clusterStatus,
  type JobStatus,
  type ListedJob,
  listJobs,
} from './job-overview.js';
export {
  jobManagerWaitMs,
  reconcileAfterJobManagerStart,
  reconcileReserveMs,
  waitForJobManager,
} from './jobmanager.js';
export {
  jobLease,
  type LeaseAttempt,
  type LeaseContext,
  type LeaseHolder,
  type LeaseOutcome,
  LeaseStore,
  type LeaseTiming,
  newLeaseOwner,
  passLease,
  withLease,
} from './lease.js';
export { type PassOptions, runPass } from './pass.js';
export { observeJob, type ReconcileOutcome, reconcileJobs, runReconcile } from './reconcile.js';
export {
  type HealthCounters,
  type JobRecord,
  newJobRecord,
  parseJobRecord,
  parseSavepointRecord,
  type RestoreChoice,
  type RestoreSource,
  type SavepointRecord,
} from './records.js';
export {
  parseRescaleRequest,
  type RescaleRequest,
  type RescaleResult,
  rescaleJob,
  rescaleRequestSchema,
  type TaskManagerScaler,
  taskManagerWaitMs,
} from './rescale.js';
export { checkpointRoot, latestCheckpoint, newestCompleted, resolveRestoreChoice } from './restore.js';
export {
  applyRetention,
  refreshInFlight,
  runSavepointSchedule,
  type SavepointOutcome,
  savepointDirectory,
  stopWithSavepoint,
  takeSavepoint,
} from './savepoints.js';
export {
  type ControlPlaneConfig,
  type ControlPlaneSetting,
  controlPlaneSettings,
  parseControlPlaneConfig,
  parseTaskManagerServiceConfig,
  type ReconcilePolicy,
  type SavepointRetention,
  type TaskManagerBounds,
  type TaskManagerServiceConfig,
} from './settings.js';
export { SnapshotStorage, type StoredCheckpoint } from './snapshot-storage.js';
export { JobStore, SavepointStore } from './stores.js';
export {
  deployAndRecord,
  jobNameSchema,
  parseSubmitSqlRequest,
  platformVariables,
  renderRequestSql,
  type SubmitSqlRequest,
  type SubmitSqlResult,
  submitSql,
  submitSqlRequestSchema,
  upgradeJob,
} from './submit.js';
export { pollUntil, type WaitClock } from './wait.js';
