/**
 * One training run, start to finish: read and validate data, split, fit the
 * preprocessing and the engine on training rows, choose the threshold on validation
 * rows, evaluate on test rows, and seal the bundle. Pure computation plus file reads;
 * writing the run folder is `run-folder.ts`'s job.
 */
import { performance } from 'node:perf_hooks';
import { basename } from 'node:path';
import { readCsvFile } from '../data/csv.ts';
import type { RawTable } from '../data/table.ts';
import { parseSourceUri, type DataSource } from '../data/source.ts';
import { rowsDigest } from '../data/rows-digest.ts';
import { dataSourceOf, readSource, type SourceRead, type SourceRecord } from '../data/read-source.ts';
import type { Env } from '../data/postgres.ts';
import { inferSchema, type DataSchema } from '../data/schema.ts';
import { subset, toDataset, type Dataset } from '../data/dataset.ts';
import { fitPreprocessor, featureSources, transform, type PreprocessorState } from '../features/preprocess.ts';
import type { Engine, EngineState, FeatureMatrix, FitContext } from '../engines/engine.ts';
import {
  EnsembleEngine,
  ensembleEngineState,
  joined,
  sideBySide,
  type EnsembleMemberState,
} from '../model/ensemble.ts';
import type { EnsembleMember } from '../tuning/auto-ensemble.ts';
import { AUTO_ENGINE, engineFactory } from '../engines/index.ts';
import type { ParamValues } from '../engines/params.ts';
import { resolveParams } from '../engines/params.ts';
import { chooseThreshold } from '../evaluation/threshold.ts';
import { computeMetrics, METRIC_NAMES, type SplitMetrics } from '../evaluation/metrics.ts';
import { fairnessConfigOf } from '../evaluation/fairness.ts';
import { duplicateCheck, duplicateWarning, rowHashes, type DuplicateCheck } from '../data/duplicates.ts';
import { sensitiveFeatures, sensitiveFeatureWarning } from '../evaluation/sensitive.ts';
import { stratifiedSplit } from './split.ts';
import {
  BUNDLE_FORMAT_VERSION,
  ENSEMBLE_BUNDLE_FORMAT_VERSION,
  sealBundle,
  type Bundle,
  type FileRef,
} from '../model/bundle.ts';
import { packageVersion, projectVersion, reproducibleTime } from '../common/provenance.ts';
import { resolvePath } from '../config/load.ts';
import type { MlopsConfig } from '../config/types.ts';
import { CreditModel } from '../model/credit-model.ts';
import { inputError, usageError } from '../common/errors.ts';
import type { ProgressCallbacks } from '../common/progress.ts';
import { round } from '../common/format.ts';
import { prepareAutoSearch, selectModel, type AutoOutcome } from '../tuning/auto.ts';
import { adoptSelection, type AutoData, type AutoSelectionFile } from '../tuning/auto-shards.ts';
import type { TrainingPool } from '../tuning/cv.ts';

export interface TrainOptions extends ProgressCallbacks {
  config: MlopsConfig;
  /** Folder relative data paths are resolved against. */
  baseDir: string;
  workers?: number;
  onWarning?: (message: string) => void;
  /**
   * The code checkout the run comes from, recorded in the bundle's provenance (the GitOps
   * layer reads it from git; without it the commit is unknown and null).
   */
  checkout?: CodeCheckout;
  /** Environment the PostgreSQL connection is read from (default: process.env). */
  env?: Env;
  /** The configured source's rows, already read (and checked) by the caller. */
  read?: SourceRead;
  /**
   * With `engine: auto`: the selection of a finished search of the same data, config and seed
   * (`mlops tune --engine auto`, sharded or not), used instead of searching again.
   */
  selection?: { file: AutoSelectionFile; source: string };
}

/** The commit the code stands on, whether tracked files differ from it, and its time (ISO 8601). */
export interface CodeCheckout {
  commit: string | null;
  dirty: boolean | null;
  time: string | null;
}

export interface MetricsFile {
  test: SplitMetrics;
  validation: SplitMetrics;
  train: SplitMetrics;
  overfitting: {
    metric: string;
    gap: number | null;
    max_gap: number;
    flagged: boolean;
    gaps: Record<string, number | null>;
  };
  timings: {
    load_s: number;
    /** `engine: auto`: the cross-validated search. */
    select_s?: number;
    preprocess_s: number;
    fit_s: number;
    evaluate_s: number;
    total_s: number;
    score_us_per_row: number;
  };
  rows: {
    train: number;
    validation: number;
    test: number;
    positive_rate: { train: number; validation: number; test: number };
  };
  /** Duplicate rows and test rows copied from training rows (absent in runs made before it was kept). */
  data_quality?: DuplicateCheck;
}

export interface Scored {
  y: Uint8Array;
  p: Float64Array;
}

export interface TrainResult {
  bundle: Bundle;
  metrics: MetricsFile;
  model: CreditModel;
  schema: DataSchema;
  scores: { train: Scored; validation: Scored; test: Scored };
  /** Where the training rows were read from (a CSV's path and file sha256, else the source's label and digest). */
  data: FileRef;
  testData: FileRef | null;
  /** The config's fields that say where rows are read from, which the bundle leaves out (recorded in run.json). */
  dataLocation: DataLocationConfig;
  /** Labelled test rows, kept so champion and challenger can be scored on the same rows. */
  testSet: Dataset;
  /** Where the training rows came from, their digest, order and column types (recorded in run.json). */
  source: SourceRecord;
  /** The training rows as read, so later steps need not read a database twice. */
  table: RawTable;
  /** The rows the test rows are drawn from, as read: the holdout (data.test_path), else `table`. */
  evaluationTable: RawTable;
  /** With `engine: auto`: the selection (also in the bundle) and its measured times (only here). */
  auto: AutoOutcome | null;
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const { config } = opts;
  const t0 = performance.now();
  opts.onStage?.('loading data');
  const dataPath = resolvePath(opts.baseDir, config.data.path);
  const { read, rows, schema, testData, trainSet, valSet, testSet, evaluationTable, duplicates } =
    await loadSplits(opts);
  const duplicated = duplicateWarning(duplicates, config.data.path, rows);
  if (duplicated) opts.onWarning?.(duplicated);
  const sensitive = sensitiveFeatureWarning(
    sensitiveFeatures(
      schema.features.map((f) => f.name),
      fairnessConfigOf(config),
      config.data.keep,
    ),
  );
  if (sensitive) opts.onWarning?.(sensitive);
  checkSplit(trainSet, 'train');
  checkSplit(valSet, 'validation');
  checkSplit(testSet, 'test');
  const tLoad = performance.now();

  let auto: AutoOutcome | null = null;
  if (config.engine.name === AUTO_ENGINE) {
    // Cross-validation on the training rows only: the validation rows still choose the threshold.
    const { pool, data } = autoSearchRows(config, schema, trainSet, read, rows, testData);
    auto = opts.selection
      ? adoptSelection(opts.selection.file, opts.selection.source, prepareAutoSearch({ config, pool }), data)
      : await selectModel({ config, pool, workers: opts.workers, onStage: opts.onStage, onProgress: opts.onProgress });
  } else if (opts.selection) {
    throw usageError(
      `a selection (${opts.selection.source}) is for engine "auto"; the config's engine is "${config.engine.name}"`,
    );
  }
  const tSelect = performance.now();

  const ensemble = auto?.selection.ensemble?.kept ? auto.selection.ensemble : null;
  const input: FitInput = { opts, schema, trainSet, valSet, testSet };
  const { fitted, tPrep, tFit } = ensemble ? await fitEnsemble(ensemble.members, input) : await fitSingle(auto, input);
  const { pTr, pVa, pTe, scoreUs } = fitted;
  const costs = config.costs;
  const { threshold } = chooseThreshold(valSet.y!, pVa, costs);
  const metrics = {
    train: computeMetrics(trainSet.y!, pTr, threshold, costs),
    validation: computeMetrics(valSet.y!, pVa, threshold, costs),
    test: computeMetrics(testSet.y!, pTe, threshold, costs),
  };
  const importance = aggregateImportance(fitted.importance, fitted.sources, schema);
  const checkout = opts.checkout ?? { commit: null, dirty: null, time: null };
  // The run records where the rows were read from: a CSV keeps its file's sha256, other sources the rows' digest.
  const data =
    read.fileSha256 !== undefined
      ? { path: config.data.path, sha256: read.fileSha256, rows }
      : { path: read.record.label, sha256: read.record.digest, rows };
  const bundle = sealBundle({
    format: 'credit-risk-gitops/model',
    format_version: ensemble ? ENSEMBLE_BUNDLE_FORMAT_VERSION : BUNDLE_FORMAT_VERSION,
    name: config.model_name,
    schema,
    ...(fitted.preprocessing ? { preprocessing: fitted.preprocessing } : {}),
    engine: fitted.engine,
    threshold,
    costs,
    risk_bands: config.evaluation.risk_bands,
    metrics,
    feature_importance: importance,
    provenance: {
      // The rows by content only: the same rows from any source seal the same bundle.
      data: { digest: read.record.digest, rows },
      test_data: testData ? { digest: testData.digest, rows: testData.ref.rows } : null,
      config: modelRelevantConfig(config),
      seed: config.seed,
      engine: fitted.engine.engine,
      packages: {
        'credit-risk-gitops': projectVersion(),
        node: process.versions.node,
        ...Object.fromEntries(fitted.packages.map((name) => [name, packageVersion(name)])),
      },
      git: { commit: checkout.commit, dirty: checkout.dirty },
      created_at: reproducibleTime(checkout.time),
    },
    ...(auto ? { selection: auto.selection } : {}),
  });
  const tEnd = performance.now();
  const gaps: Record<string, number | null> = {};
  for (const m of METRIC_NAMES) {
    const a = metrics.train[m as keyof SplitMetrics] as number | null;
    const b = metrics.test[m as keyof SplitMetrics] as number | null;
    gaps[m] = a === null || b === null ? null : a - b;
  }
  const maxGap = config.evaluation.overfitting_max_gap;
  const metricsFile: MetricsFile = {
    ...metrics,
    overfitting: {
      metric: 'roc_auc',
      gap: gaps.roc_auc,
      max_gap: maxGap,
      flagged: gaps.roc_auc !== null && gaps.roc_auc > maxGap,
      gaps,
    },
    timings: {
      load_s: secs(tLoad - t0),
      ...(auto ? { select_s: secs(tSelect - tLoad) } : {}),
      preprocess_s: secs(tPrep - tSelect),
      fit_s: secs(tFit - tPrep),
      evaluate_s: secs(tEnd - tFit),
      total_s: secs(tEnd - t0),
      score_us_per_row: Math.round(scoreUs * 100) / 100,
    },
    rows: {
      train: trainSet.rows,
      validation: valSet.rows,
      test: testSet.rows,
      positive_rate: { train: rate(trainSet.y!), validation: rate(valSet.y!), test: rate(testSet.y!) },
    },
    data_quality: duplicates,
  };
  return {
    bundle,
    metrics: metricsFile,
    model: new CreditModel(bundle),
    schema,
    scores: {
      train: { y: trainSet.y!, p: pTr },
      validation: { y: valSet.y!, p: pVa },
      test: { y: testSet.y!, p: pTe },
    },
    data:
      read.fileSha256 !== undefined
        ? { ...data, path: basename(dataPath) === basename(config.data.path) ? config.data.path : dataPath }
        : data,
    testData: testData?.ref ?? null,
    dataLocation: dataLocationConfig(config),
    testSet,
    source: read.record,
    table: read.table,
    evaluationTable,
    auto,
  };
}

/** A fitted model's state and its scores on the three splits. */
interface Fitted {
  /** Absent for an ensemble: its members carry their own. */
  preprocessing?: PreprocessorState;
  engine: EngineState;
  /** Per encoded column, and the schema feature each came from. */
  importance: Float64Array;
  sources: number[];
  packages: readonly string[];
  pTr: Float64Array;
  pVa: Float64Array;
  pTe: Float64Array;
  scoreUs: number;
}

type FitOutcome = Promise<{ fitted: Fitted; tPrep: number; tFit: number }>;

/** What fitting the model takes: the options, the schema and the three splits. */
interface FitInput {
  opts: TrainOptions;
  schema: DataSchema;
  trainSet: Dataset;
  valSet: Dataset;
  testSet: Dataset;
}

/** The configured engine, or `auto`'s single winner, fitted on the training rows. */
async function fitSingle(auto: AutoOutcome | null, { opts, schema, trainSet, valSet, testSet }: FitInput): FitOutcome {
  const { config } = opts;
  opts.onStage?.('preprocessing');
  const factory = engineFactory(auto ? auto.selection.engine : config.engine.name);
  const params: ParamValues = resolveParams(
    factory.name,
    factory.paramSpec,
    auto ? auto.selection.params : config.engine.params,
  );
  const prep = fitPreprocessor(trainSet, schema, factory.encoding);
  const Xtr = transform(prep, trainSet);
  const Xva = transform(prep, valSet);
  const Xte = transform(prep, testSet);
  const tPrep = performance.now();

  opts.onStage?.(`training ${factory.name}`);
  const engine = factory.create(params);
  await engine.fit(Xtr, trainSet.y!, fitContext(opts, Xva, valSet));
  const tFit = performance.now();

  opts.onStage?.('evaluating');
  const scored = scoreSplits(engine, Xtr, Xva, Xte, opts);
  return {
    fitted: {
      preprocessing: prep,
      engine: engine.toJSON(),
      importance: engine.featureImportance(),
      sources: featureSources(prep),
      packages: factory.packages ?? [],
      ...scored,
    },
    tPrep,
    tFit,
  };
}

/**
 * A soft-voting ensemble: each member refitted on the training rows as a single winner is,
 * with its own preprocessing, then scored as the bundle scores it (restored from its state).
 */
async function fitEnsemble(
  members: EnsembleMember[],
  { opts, schema, trainSet, valSet, testSet }: FitInput,
): FitOutcome {
  opts.onStage?.('preprocessing');
  const preps = members.map((m) => fitPreprocessor(trainSet, schema, engineFactory(m.engine).encoding));
  const tPrep = performance.now();
  const states: EnsembleMemberState[] = [];
  // Each member's encoding of the training and validation rows, kept from its fit for scoring.
  const trainParts: FeatureMatrix[] = [];
  const valParts: FeatureMatrix[] = [];
  for (const [i, m] of members.entries()) {
    const factory = engineFactory(m.engine);
    opts.onStage?.(`training ${m.candidate} (ensemble member ${i + 1} of ${members.length})`);
    const engine = factory.create(resolveParams(factory.name, factory.paramSpec, m.params));
    trainParts.push(transform(preps[i], trainSet));
    valParts.push(transform(preps[i], valSet));
    await engine.fit(trainParts[i], trainSet.y!, fitContext(opts, valParts[i], valSet));
    states.push({ candidate: m.candidate, weight: m.weight, preprocessing: preps[i], engine: engine.toJSON() });
  }
  const tFit = performance.now();

  opts.onStage?.('evaluating');
  const state = ensembleEngineState(states);
  const engine = new EnsembleEngine(state);
  const scored = scoreSplits(
    engine,
    joined(trainParts, trainSet.rows),
    joined(valParts, valSet.rows),
    sideBySide(preps, testSet),
    opts,
  );
  const packages = [...new Set(members.flatMap((m) => engineFactory(m.engine).packages ?? []))];
  return {
    fitted: {
      engine: state,
      importance: engine.featureImportance(),
      sources: preps.flatMap((p) => featureSources(p)),
      packages,
      ...scored,
    },
    tPrep,
    tFit,
  };
}

/** What an engine's fit is told: the seed, the validation rows, the workers and where to report. */
function fitContext(opts: TrainOptions, Xva: FeatureMatrix, valSet: Dataset): FitContext {
  return {
    seed: opts.config.seed,
    validation: { X: Xva, y: valSet.y! },
    workers: opts.workers,
    onProgress: opts.onProgress,
    onWarning: opts.onWarning,
  };
}

function scoreSplits(
  engine: Engine,
  Xtr: FeatureMatrix,
  Xva: FeatureMatrix,
  Xte: FeatureMatrix,
  opts: TrainOptions,
): Pick<Fitted, 'pTr' | 'pVa' | 'pTe' | 'scoreUs'> {
  const scoredRows = Xtr.rows + Xva.rows + Xte.rows;
  opts.onProgress?.(0, scoredRows, 'rows scored');
  const pTr = engine.predictProba(Xtr);
  opts.onProgress?.(Xtr.rows, scoredRows, 'rows scored');
  const pVa = engine.predictProba(Xva);
  opts.onProgress?.(Xtr.rows + Xva.rows, scoredRows, 'rows scored');
  const tScore0 = performance.now();
  const pTe = engine.predictProba(Xte);
  opts.onProgress?.(scoredRows, scoredRows, 'rows scored');
  const scoreUs = ((performance.now() - tScore0) * 1000) / Math.max(1, Xte.rows);
  return { pTr, pVa, pTe, scoreUs };
}

/**
 * Reads the data set (any source) and splits it. A function of its own so that the whole
 * data set is garbage once the splits are copied out: at millions of rows it would
 * otherwise stay reachable from train()'s frame through the engine's fit, its peak. The
 * table as read is kept: compare and report score its rows without reading a database twice.
 */
async function loadSplits(opts: TrainOptions): Promise<{
  read: SourceRead;
  rows: number;
  schema: DataSchema;
  testData: { ref: FileRef; digest: string } | null;
  trainSet: Dataset;
  valSet: Dataset;
  testSet: Dataset;
  evaluationTable: RawTable;
  duplicates: DuplicateCheck;
}> {
  const { config } = opts;
  const csv = { encoding: config.data.encoding, onProgress: opts.onProgress };
  const read = opts.read ?? (await readSource(dataSourceOf(config), { baseDir: opts.baseDir, env: opts.env, csv }));
  opts.onStage?.('checking and splitting the rows');
  const schema = inferSchema(read.table, config.data);
  const all = toDataset(read.table, schema, { requireTarget: true });
  const keyColumns = [...schema.features.map((f) => f.name), schema.target];
  const hashes = rowHashes(read.table, keyColumns);
  if (config.data.test_path) {
    // A holdout is a source like the training data: a CSV keeps its file's sha256, others the rows' digest.
    const holdout = parseSourceUri(config.data.test_path);
    let evaluationTable: RawTable;
    let testData: { ref: FileRef; digest: string };
    if (holdout.type === 'csv') {
      const file = readCsvFile(resolvePath(opts.baseDir, holdout.path), csv);
      evaluationTable = file;
      testData = { ref: { path: holdout.path, sha256: file.sha256, rows: file.rows }, digest: rowsDigest(file) };
    } else {
      const r = await readSource(holdout, { baseDir: opts.baseDir, env: opts.env });
      evaluationTable = r.table;
      testData = {
        ref: { path: r.record.label, sha256: r.record.digest, rows: r.table.rows },
        digest: r.record.digest,
      };
    }
    const s = stratifiedSplit(
      all.y!,
      { train: config.split.train, validation: config.split.validation, test: 0 },
      config.seed,
    );
    return {
      read,
      rows: all.rows,
      schema,
      testData,
      duplicates: duplicateCheck(hashes, s.train, rowHashes(evaluationTable, keyColumns)),
      trainSet: subset(all, s.train),
      valSet: subset(all, s.validation),
      testSet: toDataset(evaluationTable, schema, { requireTarget: true }),
      evaluationTable,
    };
  }
  const s = stratifiedSplit(all.y!, config.split, config.seed);
  return {
    read,
    rows: all.rows,
    schema,
    testData: null,
    duplicates: duplicateCheck(
      hashes,
      s.train,
      Array.from(s.test, (k) => hashes[k]),
    ),
    trainSet: subset(all, s.train),
    valSet: subset(all, s.validation),
    testSet: subset(all, s.test),
    evaluationTable: read.table,
  };
}

/**
 * The rows `engine: auto` cross-validates — train()'s training split, never its validation or
 * test rows — and what identifies them: the rows by content, the split and the holdout.
 */
function autoSearchRows(
  config: MlopsConfig,
  schema: DataSchema,
  trainSet: Dataset,
  read: SourceRead,
  rows: number,
  testData: { digest: string } | null,
): { pool: TrainingPool; data: AutoData } {
  return {
    pool: { schema, pool: trainSet, data: { path: config.data.path, sha256: '', rows: trainSet.rows } },
    data: { digest: read.record.digest, rows, split: { ...config.split }, test_digest: testData?.digest ?? null },
  };
}

/** The rows `engine: auto` searches on, read and split exactly as train() does (for `mlops tune --engine auto`). */
export async function readAutoSearchRows(opts: TrainOptions): Promise<{ pool: TrainingPool; data: AutoData }> {
  const { read, rows, schema, testData, trainSet } = await loadSplits(opts);
  return autoSearchRows(opts.config, schema, trainSet, read, rows, testData);
}

/** Where the config reads rows from: the run records these, the bundle does not. */
export interface DataLocationConfig {
  path: string;
  test_path: string | null;
  source?: DataSource;
}

export function dataLocationConfig(config: MlopsConfig): DataLocationConfig {
  const { path, test_path, source } = config.data;
  return { path, test_path, ...(source ? { source } : {}) };
}

/**
 * The parts of the config that change the model: not paths to registries or run stores,
 * and not where the rows were read from — the rows' digest pins those.
 */
export function modelRelevantConfig(config: MlopsConfig): unknown {
  const { path: _path, test_path: _testPath, source: _source, ...data } = config.data;
  return {
    data,
    split: config.split,
    seed: config.seed,
    engine: config.engine,
    costs: config.costs,
    ...(config.engine.name === AUTO_ENGINE ? { auto: config.auto } : {}),
  };
}

function aggregateImportance(
  values: Float64Array,
  sources: number[],
  schema: DataSchema,
): { feature: string; importance: number }[] {
  const sums = new Float64Array(schema.features.length);
  values.forEach((v, j) => (sums[sources[j]] += v));
  return schema.features
    .map((f, i) => ({ feature: f.name, importance: round(sums[i], 6) }))
    .sort((a, b) => b.importance - a.importance || (a.feature < b.feature ? -1 : 1));
}

function checkSplit(ds: Dataset, name: string): void {
  const pos = rate(ds.y!);
  if (ds.rows === 0 || pos === 0 || pos === 1) {
    throw inputError(
      `the ${name} split has ${ds.rows} rows and ${pos === 0 ? 'no positive' : 'only positive'} labels; the data set is too small or too imbalanced for the configured split`,
    );
  }
}

const rate = (y: Uint8Array): number => (y.length ? round(y.reduce((s, v) => s + v, 0) / y.length, 6) : 0);
const secs = (ms: number): number => Math.round(ms) / 1000;
