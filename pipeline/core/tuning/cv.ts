/**
 * Stratified k-fold cross-validation on the training rows. The folds are prepared once
 * per tuning run — preprocessing fitted on each fold's training rows only, never on
 * its held-out rows — and reused by every trial, so a trial costs only k engine fits.
 */
import { readCsvFile } from '../data/csv.ts';
import type { RawTable } from '../data/table.ts';
import { dataSourceOf, readSource } from '../data/read-source.ts';
import { inferSchema, type DataSchema } from '../data/schema.ts';
import { subset, toDataset, type Dataset } from '../data/dataset.ts';
import { fitPreprocessor, transform, type Encoding, type PreprocessorState } from '../features/preprocess.ts';
import type { EngineFactory, Labelled } from '../engines/engine.ts';
import type { ParamValues } from '../engines/params.ts';
import { resolveParams } from '../engines/params.ts';
import { averagePrecision, logLoss, rocAuc, type Costs } from '../evaluation/metrics.ts';
import { chooseThreshold } from '../evaluation/threshold.ts';
import { stratifiedFolds, stratifiedSplit } from '../training/split.ts';
import { resolvePath } from '../config/load.ts';
import type { MlopsConfig } from '../config/types.ts';
import { deriveSeed } from '../common/random.ts';
import { inputError, usageError } from '../common/errors.ts';
import { resampleRows, type Sampling } from './imbalance.ts';

const TUNE_METRICS = ['roc_auc', 'expected_cost', 'pr_auc', 'log_loss'] as const;
export type TuneMetric = (typeof TUNE_METRICS)[number];

export function parseMetric(text: string): TuneMetric {
  if (!(TUNE_METRICS as readonly string[]).includes(text))
    throw usageError(`--metric must be one of ${TUNE_METRICS.join(', ')} (got ${JSON.stringify(text)})`);
  return text as TuneMetric;
}

export const higherIsBetter = (m: TuneMetric): boolean => m === 'roc_auc' || m === 'pr_auc';

export interface TrainingPool {
  schema: DataSchema;
  /** The rows tuning may look at: everything except the test rows. */
  pool: Dataset;
  data: { path: string; sha256: string; rows: number };
}

/**
 * The config's data minus its test rows: with `data.test_path` every row of
 * `data.path`, else the train + validation parts of the same stratified split `train`
 * uses, so tuning never looks at the rows the final model is tested on.
 */
export function loadTrainingPool(config: MlopsConfig, baseDir: string): TrainingPool {
  const path = resolvePath(baseDir, config.data.path);
  const table = readCsvFile(path, { encoding: config.data.encoding });
  return trainingPoolOf(config, table, { path: config.data.path, sha256: table.sha256 });
}

/** The same pool from the configured source, which may be a table, a query, Parquet or a snapshot. */
export async function readTrainingPool(config: MlopsConfig, baseDir: string): Promise<TrainingPool> {
  const source = dataSourceOf(config);
  if (source.type === 'csv') return loadTrainingPool(config, baseDir);
  const { table, record } = await readSource(source, { baseDir });
  return trainingPoolOf(config, table, { path: record.label, sha256: record.digest });
}

function trainingPoolOf(config: MlopsConfig, table: RawTable, data: { path: string; sha256: string }): TrainingPool {
  const schema = inferSchema(table, config.data);
  const all = toDataset(table, schema, { requireTarget: true });
  let pool = all;
  if (!config.data.test_path) {
    const s = stratifiedSplit(all.y!, config.split, config.seed);
    const rows = Uint32Array.from([...s.train, ...s.validation]).sort();
    pool = subset(all, rows);
  }
  return { schema, pool, data: { ...data, rows: pool.rows } };
}

export interface FoldData {
  fold: number;
  /** Pool row indices the fold trains on (before resampling) and holds out. */
  trainRows: Uint32Array;
  heldOutRows: Uint32Array;
  /** Preprocessing fitted on this fold's training rows only. */
  prep: PreprocessorState;
  train: Labelled;
  /** Part of the training rows set aside for early stopping (engines that support it). */
  earlyStopping?: Labelled;
  heldOut: Labelled;
}

export interface FoldOptions {
  k: number;
  seed: number;
  encoding: Encoding;
  sampling: Sampling;
  /** Carve 20 % of each fold's training rows out for early stopping. */
  earlyStopping: boolean;
}

/** Fold number per pool row: stratified and a function of (labels, k, seed) only. */
export function assignFolds(y: Uint8Array, k: number, seed: number): Uint8Array {
  let pos = 0;
  for (let i = 0; i < y.length; i++) pos += y[i];
  if (!Number.isInteger(k) || k < 2 || k > 20)
    throw usageError(`--folds must be a whole number from 2 to 20 (got ${k})`);
  if (pos < k || y.length - pos < k) {
    throw inputError(
      `${k}-fold cross-validation needs at least ${k} rows of each class (the training rows have ${pos} positive, ${y.length - pos} negative)`,
    );
  }
  return stratifiedFolds(y, k, deriveSeed(seed, 202));
}

export function prepareFolds(pool: TrainingPool, opts: FoldOptions): FoldData[] {
  const { pool: ds, schema } = pool;
  const folds = assignFolds(ds.y!, opts.k, opts.seed);
  const out: FoldData[] = [];
  for (let f = 0; f < opts.k; f++) {
    const trainList: number[] = [];
    const heldList: number[] = [];
    for (let i = 0; i < ds.rows; i++) (folds[i] === f ? heldList : trainList).push(i);
    const trainRows = Uint32Array.from(trainList);
    const heldOutRows = Uint32Array.from(heldList);
    const trainSet = subset(ds, trainRows);
    const heldSet = subset(ds, heldOutRows);
    const prep = fitPreprocessor(trainSet, schema, opts.encoding);
    let fitRows: Uint32Array = Uint32Array.from({ length: trainSet.rows }, (_, i) => i);
    let earlyStopping: Labelled | undefined;
    if (opts.earlyStopping) {
      const s = stratifiedSplit(trainSet.y!, { train: 0.8, validation: 0.2, test: 0 }, deriveSeed(opts.seed, 404, f));
      fitRows = s.train;
      const es = subset(trainSet, s.validation);
      earlyStopping = { X: transform(prep, es), y: es.y! };
    }
    // Resampling touches the rows the engine fits on, never the early-stopping or held-out rows.
    const fitY = Uint8Array.from(fitRows, (i) => trainSet.y![i]);
    const kept = resampleRows(fitY, opts.sampling, deriveSeed(opts.seed, 505, f));
    const fitSet = subset(
      trainSet,
      Uint32Array.from(kept, (j) => fitRows[j]),
    );
    out.push({
      fold: f,
      trainRows,
      heldOutRows,
      prep,
      train: { X: transform(prep, fitSet), y: fitSet.y! },
      earlyStopping,
      heldOut: { X: transform(prep, heldSet), y: heldSet.y! },
    });
  }
  return out;
}

export interface FoldScores {
  scores: number[];
  /** Per fold, the cost-minimising threshold chosen on its held-out rows (expected_cost only). */
  thresholds?: number[];
}

/** Fits one parameter set on every fold and scores its held-out rows. */
export async function crossValidate(
  factory: EngineFactory,
  params: ParamValues,
  folds: FoldData[],
  metric: TuneMetric,
  costs: Costs,
  seed: number,
  workers?: number,
  /** Called after each fold is fitted and scored (progress). */
  onFold?: () => void,
): Promise<FoldScores> {
  const resolved = resolveParams(factory.name, factory.paramSpec, params);
  const scores: number[] = [];
  const thresholds: number[] = [];
  for (const fd of folds) {
    const s = await fitAndScoreFold(factory, resolved, fd, metric, costs, seed, workers);
    onFold?.();
    scores.push(s.score);
    if (s.threshold !== undefined) thresholds.push(s.threshold);
  }
  return metric === 'expected_cost' ? { scores, thresholds } : { scores };
}

/** Fits resolved parameters on one fold's training rows and scores its held-out rows. */
export async function fitAndScoreFold(
  factory: EngineFactory,
  resolved: ParamValues,
  fd: FoldData,
  metric: TuneMetric,
  costs: Costs,
  seed: number,
  workers?: number,
): Promise<{ score: number; threshold?: number; p: Float64Array }> {
  const engine = factory.create(resolved);
  // Same fit seed for every trial on a fold: trials differ by their parameters only.
  await engine.fit(fd.train.X, fd.train.y, {
    seed: deriveSeed(seed, 404, fd.fold),
    validation: fd.earlyStopping,
    workers,
  });
  const p = engine.predictProba(fd.heldOut.X);
  return { ...scoreFold(fd.heldOut.y, p, metric, costs), p };
}

/** A fold's score from its held-out labels and predicted probabilities. */
export function scoreFold(
  y: Uint8Array,
  p: Float64Array,
  metric: TuneMetric,
  costs: Costs,
): { score: number; threshold?: number } {
  switch (metric) {
    case 'roc_auc':
      return { score: rocAuc(y, p) ?? NaN };
    case 'pr_auc':
      return { score: averagePrecision(y, p) ?? NaN };
    case 'log_loss':
      return { score: logLoss(y, p) };
    case 'expected_cost': {
      const t = chooseThreshold(y, p, costs);
      return { score: t.expected_cost, threshold: t.threshold };
    }
  }
}
