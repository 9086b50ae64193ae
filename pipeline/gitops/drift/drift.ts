/**
 * The drift report: how far the current data (new applications, or a scoring log) has
 * moved from the reference data (what the champion was trained on), feature by
 * feature, in the model's scores, and — when the new data has outcomes — in the
 * model's own performance.
 */
import {
  round,
  type Dataset,
  type DataSchema,
  type CreditModel,
  computeMetrics,
  HIGHER_IS_BETTER,
  type SplitMetrics,
  type MlopsConfig,
  type ProgressCallbacks,
} from '../../core/index.ts';
import {
  binCounts,
  binLabels,
  categoryCounts,
  jensenShannon,
  ksPValue,
  ksStatistic,
  proportions,
  psi,
  quantileEdges,
} from './stats.ts';

export type DriftThresholds = MlopsConfig['drift'];
export type PsiLevel = 'none' | 'moderate' | 'significant';

export interface BinShare {
  bin: string;
  reference: number;
  current: number;
}

export interface FeatureDrift {
  feature: string;
  kind: 'numeric' | 'categorical';
  psi: number;
  psi_level: PsiLevel;
  test: 'ks' | 'jensen-shannon';
  /** KS statistic D, or the Jensen–Shannon distance. */
  statistic: number;
  /** KS p-value; null for Jensen–Shannon (a distance, not a test). */
  p_value: number | null;
  drifted: boolean;
  /** Why it counts as drifted (empty when it does not). */
  reasons: string[];
  bins: BinShare[];
}

export interface DataRef {
  name: string;
  rows: number;
  sha256: string | null;
  /** `source`: a table, query, Parquet file or snapshot (sha256 is then the rows' digest). */
  kind: 'csv' | 'scoring-log' | 'source';
}

export interface ModelDrift {
  model: string;
  rows: number;
  positive_rate: number;
  primary_metric: string;
  /** Each metric: value recorded at training (test rows) vs on the new labelled rows. */
  metrics: {
    metric: string;
    recorded: number | null;
    current: number | null;
    delta: number | null;
    worse_by: number | null;
  }[];
  drifted: boolean;
  detail: string;
}

export interface DriftReport {
  reference: DataRef;
  current: DataRef;
  thresholds: DriftThresholds;
  features: FeatureDrift[];
  drifted_features: number;
  share_drifted: number;
  dataset_drift: boolean;
  score: {
    model: string;
    psi: number;
    psi_level: PsiLevel;
    ks: number;
    p_value: number;
    reference_mean: number;
    current_mean: number;
    drifted: boolean;
    bins: BinShare[];
  } | null;
  model_drift: ModelDrift | null;
  warnings: string[];
  /** One line for a job summary or a log. */
  summary: string;
}

export interface DriftInput {
  reference: Dataset;
  current: Dataset;
  referenceRef: DataRef;
  currentRef: DataRef;
  schema: DataSchema;
  thresholds: DriftThresholds;
  /** Model whose scores (and, with labels, metrics) are compared; null skips those parts. */
  model: CreditModel | null;
  primaryMetric: string;
  warnings?: string[];
  /** Features compared so far. */
  onProgress?: ProgressCallbacks['onProgress'];
}

export function psiLevel(value: number, t: DriftThresholds): PsiLevel {
  return value >= t.psi_significant ? 'significant' : value >= t.psi_moderate ? 'moderate' : 'none';
}

function shares(labels: string[], ref: number[], cur: number[]): BinShare[] {
  const r = proportions(ref);
  const c = proportions(cur);
  // The missing bin is shown only when one of the samples has missing values.
  return labels
    .map((bin, i) => ({ bin, reference: round(r[i], 6), current: round(c[i], 6) }))
    .filter((b, i) => i < labels.length - 1 || ref[i] + cur[i] > 0);
}

export function numericDrift(name: string, ref: Float64Array, cur: Float64Array, t: DriftThresholds): FeatureDrift {
  const edges = quantileEdges(ref, t.bins);
  const rc = binCounts(ref, edges);
  const cc = binCounts(cur, edges);
  const value = psi(proportions(rc), proportions(cc));
  const ks = ksStatistic(ref, cur);
  const p = ksPValue(ks.d, ks.n, ks.m);
  const reasons: string[] = [];
  if (value >= t.psi_significant) reasons.push(`PSI ${value.toFixed(3)} ≥ ${t.psi_significant}`);
  if (t.use_tests && p < t.ks_alpha) reasons.push(`KS p-value ${p.toPrecision(2)} < ${t.ks_alpha}`);
  return {
    feature: name,
    kind: 'numeric',
    psi: round(value, 6),
    psi_level: psiLevel(value, t),
    test: 'ks',
    statistic: round(ks.d, 6),
    p_value: round(p, 8),
    drifted: reasons.length > 0,
    reasons,
    bins: shares(binLabels(edges), rc, cc),
  };
}

export function categoricalDrift(
  name: string,
  ref: (string | null)[],
  cur: (string | null)[],
  t: DriftThresholds,
): FeatureDrift {
  const c = categoryCounts(ref, cur);
  const rp = proportions(c.reference);
  const cp = proportions(c.current);
  const value = psi(rp, cp);
  const js = jensenShannon(rp, cp);
  const reasons: string[] = [];
  if (value >= t.psi_significant) reasons.push(`PSI ${value.toFixed(3)} ≥ ${t.psi_significant}`);
  if (t.use_tests && js >= t.js_threshold) reasons.push(`Jensen–Shannon distance ${js.toFixed(3)} ≥ ${t.js_threshold}`);
  return {
    feature: name,
    kind: 'categorical',
    psi: round(value, 6),
    psi_level: psiLevel(value, t),
    test: 'jensen-shannon',
    statistic: round(js, 6),
    p_value: null,
    drifted: reasons.length > 0,
    reasons,
    bins: shares(c.labels, c.reference, c.current),
  };
}

const MODEL_METRICS = ['roc_auc', 'pr_auc', 'ks', 'recall', 'precision', 'brier', 'log_loss', 'expected_cost'];

export function computeDrift(input: DriftInput): DriftReport {
  const t = input.thresholds;
  const warnings = [...(input.warnings ?? [])];
  const n = input.schema.features.length;
  const features: FeatureDrift[] = input.schema.features.map((f, i) => {
    const d =
      f.kind === 'numeric'
        ? numericDrift(f.name, input.reference.numeric.get(f.name)!, input.current.numeric.get(f.name)!, t)
        : categoricalDrift(f.name, input.reference.categorical.get(f.name)!, input.current.categorical.get(f.name)!, t);
    input.onProgress?.(i + 1, n, 'features');
    return d;
  });
  const drifted = features.filter((f) => f.drifted).length;
  const share = features.length === 0 ? 0 : drifted / features.length;
  const datasetDrift = share >= t.dataset_share;
  if (input.current.rows < 100)
    warnings.push(`only ${input.current.rows} current rows: PSI and the tests are noisy on small samples`);

  let score: DriftReport['score'] = null;
  let modelDrift: ModelDrift | null = null;
  if (input.model) {
    const pRef = input.model.score(input.reference);
    const pCur = input.model.score(input.current);
    const edges = quantileEdges(pRef, t.bins);
    const rc = binCounts(pRef, edges);
    const cc = binCounts(pCur, edges);
    const value = psi(proportions(rc), proportions(cc));
    const ks = ksStatistic(pRef, pCur);
    score = {
      model: input.model.bundle.digest,
      psi: round(value, 6),
      psi_level: psiLevel(value, t),
      ks: round(ks.d, 6),
      p_value: round(ksPValue(ks.d, ks.n, ks.m), 8),
      reference_mean: round(mean(pRef), 6),
      current_mean: round(mean(pCur), 6),
      drifted: value >= t.psi_significant,
      bins: shares(binLabels(edges), rc, cc),
    };
    if (input.current.y) modelDrift = computeModelDrift(input.model, input.current.y, pCur, input.primaryMetric, t);
  }

  const parts = [
    `${drifted} of ${features.length} features drifted (${(share * 100).toFixed(0)} %, data-set drift at ≥ ${(t.dataset_share * 100).toFixed(0)} %)`,
    datasetDrift ? 'DATA-SET DRIFT' : 'no data-set drift',
  ];
  if (score) parts.push(`score PSI ${score.psi.toFixed(3)} (${score.psi_level})`);
  if (modelDrift) parts.push(modelDrift.detail);
  return {
    reference: input.referenceRef,
    current: input.currentRef,
    thresholds: t,
    features,
    drifted_features: drifted,
    share_drifted: round(share, 6),
    dataset_drift: datasetDrift,
    score,
    model_drift: modelDrift,
    warnings,
    summary: parts.join('; '),
  };
}

function computeModelDrift(
  model: CreditModel,
  y: Uint8Array,
  p: Float64Array,
  primary: string,
  t: DriftThresholds,
): ModelDrift {
  const recorded = model.bundle.metrics.test;
  const current = computeMetrics(y, p, model.threshold, model.bundle.costs);
  const metrics = MODEL_METRICS.map((m) => {
    const a = recorded[m as keyof SplitMetrics] as number | null;
    const b = current[m as keyof SplitMetrics] as number | null;
    const delta = a === null || b === null ? null : round(b - a, 6);
    const worse = delta === null ? null : round(HIGHER_IS_BETTER[m] ? -delta : delta, 6);
    return {
      metric: m,
      recorded: a === null ? null : round(a, 6),
      current: b === null ? null : round(b, 6),
      delta,
      worse_by: worse,
    };
  });
  const row = metrics.find((m) => m.metric === primary) ?? metrics[0];
  const drifted = row.worse_by !== null && row.worse_by > t.model_max_drop;
  const positives = y.reduce((s, v) => s + v, 0);
  const detail =
    row.current === null
      ? `model drift not measurable: ${row.metric} is undefined on the new rows (one class only)`
      : `${row.metric} on new labelled rows ${row.current.toFixed(4)} vs ${row.recorded?.toFixed(4) ?? 'n/a'} recorded${drifted ? ` — MODEL DRIFT (worse by more than ${t.model_max_drop})` : ''}`;
  return {
    model: model.bundle.digest,
    rows: y.length,
    positive_rate: round(positives / Math.max(1, y.length), 6),
    primary_metric: row.metric,
    metrics,
    drifted,
    detail,
  };
}

function mean(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return a.length ? s / a.length : NaN;
}
