/** Experiment tracking: the runs store, comparisons, reproduction and MLflow logging (docs/tracking.md). */
export {
  scanRuns,
  resolveRun,
  pruneRuns,
  toTrackedRun,
  RUN_METRICS,
  type TrackedRun,
  type PruneResult,
} from './store.ts';
export {
  queryRuns,
  bestRunPerRows,
  groupByRows,
  parseCondition,
  parseParamFilter,
  sortByMetric,
  type RunQuery,
} from './query.ts';
export { compareRuns, renderComparison, renderList, renderShow, type Comparison, type Format } from './render.ts';
export { reproduceRun, explainDifference, type ReproduceResult } from './reproduce.ts';
export { registryRun, parseRegistryRef } from './champion.ts';
export {
  MlflowClient,
  MlflowError,
  mlflowSettings,
  logRun,
  mirrorVersion,
  runPayload,
  type MlflowSettings,
} from './mlflow.ts';
export {
  trackTrainedRun,
  recordTrial,
  logToMlflowSafely,
  mirrorToMlflowSafely,
  runsDirOf,
  type TrialInput,
} from './track.ts';
export {
  trackingSection,
  ciInfo,
  artifactDigests,
  type TrackingSection,
  type TrackedRecord,
  type MlflowStatus,
} from './record.ts';
