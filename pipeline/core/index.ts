/**
 * The ML core's one entry module: data, features, engines, evaluation, explanations,
 * training, tuning and the model bundle. The core knows nothing of git, the registry,
 * GitHub or HTTP; the GitOps layer and the faces (CLI, actions, service) import it only
 * through this file (eslint.config.js enforces both rules).
 */
export { canonicalJson, sha256Hex } from './common/canonical-json.ts';
export { MlopsError, configError, inputError, isMlopsError, usageError } from './common/errors.ts';
export {
  removeStaleTemps,
  sha256File,
  tempSibling,
  writeAppendedCopyAtomic,
  writeFileAtomic,
  writeJsonAtomic,
} from './common/fs-atomic.ts';
export { bytes, duration, num, pct, round, signed } from './common/format.ts';
export { BYTES_READ, PROGRESS_EVERY } from './common/progress.ts';
export type { ProgressCallbacks } from './common/progress.ts';
export { outputFile } from './common/output-path.ts';
export { PROJECT_ROOT, projectVersion } from './common/provenance.ts';
export { Rng, deriveSeed } from './common/random.ts';
export { defaultConfig } from './config/defaults.ts';
export { describeAjvError, loadConfig, parseConfigText, resolveConfig, resolvePath } from './config/load.ts';
export type { LoadedConfig } from './config/load.ts';
export type { MlopsConfig } from './config/types.ts';
export { openCsvStream, readCsvChunks } from './data/csv-stream.ts';
export type { CsvStream } from './data/csv-stream.ts';
export {
  CLI_LATIN1_HINT,
  CSV_ENCODINGS,
  csvEncoding,
  forEachCsvRecord,
  parseCsvBytes,
  readCsvFile,
  widthProblem,
} from './data/csv.ts';
export type { CsvEncoding, CsvOptions, CsvRecord, CsvTable } from './data/csv.ts';
export { isMissingText, pickRows, RawColumn } from './data/table.ts';
export type { RawTable } from './data/table.ts';
export { recordsToDataset, subset, toDataset } from './data/dataset.ts';
export type { Dataset } from './data/dataset.ts';
export { applicantJsonSchema } from './data/json-schema.ts';
export { writeParquet } from './data/parquet.ts';
export { pgConnection, quoteTable, readPostgres, redact } from './data/postgres.ts';
export type { Env } from './data/postgres.ts';
export { SNAPSHOT_FORMAT, dataSourceOf, readPointer, readSource } from './data/read-source.ts';
export type { SnapshotPointer, SourceColumn, SourceRecord, SourceRead } from './data/read-source.ts';
export { diffRows, rowsDigest } from './data/rows-digest.ts';
export type { RowsChange } from './data/rows-digest.ts';
export { applyDataUri, parseSourceUri, placeSourceUri, sourceLabel } from './data/source.ts';
export type { DataSource, PostgresSource } from './data/source.ts';
export type { JsonSchema, UnknownFieldsPolicy } from './data/json-schema.ts';
export { inferSchema } from './data/schema.ts';
export type { DataSchema } from './data/schema.ts';
export { parseNumber } from './data/values.ts';
export type { Attribution, FeatureMatrix } from './engines/engine.ts';
export { ENGINE_CHOICES, ENGINE_NAMES } from './engines/index.ts';
export { AUTO_ENGINE, ENSEMBLE_ENGINE } from './engines/names.ts';
export { engineParamsHelp } from './engines/params-help.ts';
export { parseParamPairs } from './engines/params.ts';
export type { ParamValues } from './engines/params.ts';
export { ScoringRuntime } from './engines/tree/threads.ts';
export {
  DEFAULT_FAIRNESS,
  fairnessConfigOf,
  fairnessGuardrail,
  fairnessReport,
  resolveColumn,
} from './evaluation/fairness.ts';
export type { FairnessConfig, FairnessReport } from './evaluation/fairness.ts';
export { sensitiveFeatures, sensitiveFeatureWarning } from './evaluation/sensitive.ts';
export { duplicateWarning, type DuplicateCheck } from './data/duplicates.ts';
export {
  HIGHER_IS_BETTER,
  METRIC_NAMES,
  averagePrecision,
  computeMetrics,
  prCurve,
  rocAuc,
  rocCurve,
  undefinedMetrics,
} from './evaluation/metrics.ts';
export type { Confusion, Costs, SplitMetrics } from './evaluation/metrics.ts';
export { costCurve } from './evaluation/threshold.ts';
export { attributionOf, explainRows, globalImportance, referenceFrom, shapValues } from './explain/index.ts';
export type { FeatureImportance, ShapValues } from './explain/index.ts';
export { percentileOf } from './explain/reasons.ts';
export type { Explanation } from './explain/types.ts';
export { featureNames } from './features/preprocess.ts';
export { bundleBytes, legacyDataRefs, parseBundle, readBundle, writeBundle } from './model/bundle.ts';
export type { Bundle, FileRef, Provenance, RowsRef } from './model/bundle.ts';
export { CreditModel } from './model/credit-model.ts';
export { engineLabel, ensembleMembers } from './model/ensemble.ts';
export { stratifiedSplit } from './training/split.ts';
export { train } from './training/train.ts';
export type { CodeCheckout, DataLocationConfig, MetricsFile, TrainOptions, TrainResult } from './training/train.ts';
export { parseMetric } from './tuning/cv.ts';
export { parseSampling } from './tuning/imbalance.ts';
export { mergeRuns } from './tuning/merge.ts';
export { readRunsFile } from './tuning/runs-file.ts';
export type { TrialRecord } from './tuning/runs-file.ts';
export { parseSpace } from './tuning/space.ts';
export { summarize, summaryMarkdown } from './tuning/summary.ts';
export type { TuneSummary } from './tuning/summary.ts';
export type { AutoOutcome, LeaderboardEntry, Selection } from './tuning/auto.ts';
export { searchAuto, searchAutoShard } from './tuning/auto-run.ts';
export { AUTO_STAGE_FORMAT, mergeAutoStages, readStageFile } from './tuning/auto-shards.ts';
export type { AutoSelectionFile, AutoStageFile, MergedAuto } from './tuning/auto-shards.ts';
export { parseShard, tune } from './tuning/tune.ts';
export type { TuneOutcome } from './tuning/tune.ts';
export { writeConfigSnippet } from './tuning/write-config.ts';
