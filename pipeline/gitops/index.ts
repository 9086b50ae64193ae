/**
 * The GitOps layer's one entry module: the git-native registry, experiment tracking,
 * reports, drift, ingestion, retraining and deployment rendering. It builds on the ML
 * core and knows nothing of GitHub or HTTP; the faces (CLI, actions, service) import it
 * only through this file (eslint.config.js enforces it).
 */
export { renderOverlay } from './deploy/render.ts';
export { pinOverlays, type PinResult } from './deploy/pin.ts';
export { championModel, championTrainingData } from './drift/champion.ts';
export { isDriftSourceUri, readDriftInput } from './drift/drift-input.ts';
export type { DriftInput } from './drift/drift-input.ts';
export { driftMarkdown } from './drift/markdown.ts';
export { runDrift, writeDriftOutputs } from './drift/run-drift.ts';
export { ScoringLogSampler, formatScoringLogLine, scoringLogLine } from './drift/scoring-log.ts';
export type { ScoringLogLine } from './drift/scoring-log.ts';
export { PostgresScoringLog } from './drift/scoring-log-postgres.ts';
export type { ScoringLogStats } from './drift/scoring-log-postgres.ts';
export { checkRecordedData } from './data/data-check.ts';
export { snapshotData, snapshotFile } from './data/snapshot.ts';
export { ingest, short } from './ingest/ingest.ts';
export { ingestFromDatabase } from './ingest/watermark.ts';
export type { WatermarkIngestResult } from './ingest/watermark.ts';
export type { IngestResult } from './ingest/ingest.ts';
export { versionReportTarget, writeVersionCard } from './registry/version-card.ts';
export { checkoutState } from './git/checkout.ts';
export { DEFAULT_AUTHOR, gitUserName, parseAuthor } from './git/identity.ts';
export type { GitAuthor } from './git/identity.ts';
export { withWorktree } from './git/worktree.ts';
export {
  championBundlePath,
  ciRunUrl,
  compareRun,
  findVersion,
  historyText,
  loadRegistry,
  modelEntry,
  loadVersionBundle,
  promoteAndCommit,
  promoteRun,
  recordSignOffAndCommit,
  registryDir,
  registryFile,
  registryListText,
  resolveRef,
  rollback,
  rollbackAndCommit,
  verdictMarkdown,
  verifyVersion,
  versionText,
} from './registry/index.ts';
export type { EnvironmentReview, PromoteResult, SignOffResult } from './registry/index.ts';
export {
  OciClient,
  checkBaseImage,
  championPin,
  conflictError,
  dockerClient,
  parseImageRef,
  planText,
  publishRelease,
  pushIsStateOnly,
  releaseStatus,
} from './release/index.ts';
export type { ImageRef, PublishResult, RegistryCredentials, ReleasePlan } from './release/index.ts';
export type { Verdict } from './registry/verdict.ts';
export { renderCharts } from './report/charts/index.ts';
export type { Chart } from './report/charts/index.ts';
export type { ComparisonFile, ModelSide } from './report/comparison.ts';
export { generateReport, reportRunFolder } from './report/model-report.ts';
export { leaderboardMarkdown } from './report/leaderboard.ts';
export { METRIC_ROWS, metricsTable } from './report/tables.ts';
export { publishRetrain, retrain } from './retrain/retrain.ts';
export { gateTrainedRun } from './run/gate.ts';
export { sampleRows } from './run/sample-rows.ts';
export type { SampleRows } from './run/sample-rows.ts';
export type { AutoRunSummary, RunRecord } from './run/run-folder.ts';
export { trainingRun, versionReportDir } from './run/training-run.ts';
export { evaluationParts, runEvaluationParts } from './run/evaluation-rows.ts';
export { configuredDataRecord, runDataRecord, type DataRecord } from './run/data-record.ts';
export type { TrainingRunOptions } from './run/training-run.ts';
export { parseRegistryRef, registryRun } from './tracking/champion.ts';
export { recordTrial } from './tracking/index.ts';
export { MlflowClient, logRun, mirrorVersion, mlflowSettings } from './tracking/mlflow.ts';
export { bestRunPerRows, metricValue, parseCondition, parseParamFilter, queryRuns } from './tracking/query.ts';
export { compareRuns, renderComparison, renderList, renderShow, summaryJson } from './tracking/render.ts';
export type { Format } from './tracking/render.ts';
export { reproduceRun } from './tracking/reproduce.ts';
export { isHigherBetter, pruneRuns, resolveRun, scanRuns } from './tracking/store.ts';
export type { TrackedRun } from './tracking/store.ts';
export { readMetricsNear } from './tracking/track.ts';
