/**
 * Explanations of single decisions, shared by the reports, the scoring service and
 * the dashboard. Contributions are computed per encoded column, as the engine's declared
 * attribution says (exact TreeSHAP for a tree ensemble, coefficient × standardised value
 * for a linear model), and summed back to the source features the applicant actually
 * filled in, so "Home" is one contribution even when the model sees five one-hot columns.
 *
 * Local accuracy holds by construction and is tested: base_value + Σ contributions =
 * margin, in the units the engine declares (log-odds, or probability for a forest and a
 * soft-voting ensemble, whose members' attributions are rescaled to probability).
 */
import type { Dataset } from '../data/dataset.ts';
import { subset } from '../data/dataset.ts';
import type { Attribution, FeatureMatrix } from '../engines/engine.ts';
import { memberMatrix } from '../model/ensemble.ts';
import { MlopsError } from '../common/errors.ts';
import type { CreditModel } from '../model/credit-model.ts';
import { Rng, deriveSeed } from '../common/random.ts';
import { rocAuc } from '../evaluation/metrics.ts';
import { sigmoid } from '../common/sigmoid.ts';
import { ensembleExpectation, ensembleShap } from './treeshap.ts';
import { reasonCodes, referenceValues, type ReferenceValues } from './reasons.ts';
import type { Explanation, FeatureContribution } from './types.ts';

export type { Explanation, FeatureContribution } from './types.ts';
export { referenceValues, type ReferenceValues } from './reasons.ts';

export interface ExplainOptions {
  /** Reason codes at most (default 4). */
  maxReasons?: number;
  /** Observed values for percentile wording ("bottom 15 %"); without it reasons cite the median. */
  reference?: ReferenceValues;
}

/** How a model's margin is attributed to encoded columns, as its engine declares it. */
interface ColumnAttribution {
  output: Explanation['output'];
  base: number;
  margin(X: FeatureMatrix): Float64Array;
  /** Contribution per encoded column for row r of X. */
  contributions(X: FeatureMatrix, r: number): Float64Array;
}

const cache = new WeakMap<CreditModel, ColumnAttribution>();

/** What the model's engine declares about its margin (null: its decisions are not explained). */
export function attributionOf(model: CreditModel): Attribution | null {
  return model.engine.attribution();
}

function columnAttribution(model: CreditModel): ColumnAttribution {
  const hit = cache.get(model);
  if (hit) return hit;
  const a = attributionOf(model);
  if (!a) {
    throw new MlopsError(
      'state',
      `the "${model.engine.name}" engine does not attribute its scores, so they cannot be explained`,
    );
  }
  const c = fromAttribution(a);
  cache.set(model, c);
  return c;
}

function fromAttribution(a: Attribution): ColumnAttribution {
  if (a.kind === 'linear') {
    const { intercept, coef } = a;
    return {
      output: a.output,
      base: intercept,
      margin: a.margin,
      contributions: (X, r) => Float64Array.from(coef, (b, j) => b * X.columns[j][r]),
    };
  }
  if (a.kind === 'weighted-sum') return weightedSum(a.members);
  const ens = a.ensemble;
  return {
    output: a.output,
    base: ensembleExpectation(ens),
    margin: a.margin,
    contributions: (X, r) => {
      const row = new Float64Array(X.columns.length);
      for (let j = 0; j < row.length; j++) row[j] = X.columns[j][r];
      return ensembleShap(ens, row, row.length);
    },
  };
}

/**
 * A soft-voting ensemble averages probabilities, so its attributions are in probability
 * space: a member explained in log-odds has each row's contributions rescaled by
 * (p − p_base) / (margin − margin_base), which keeps them adding up exactly to p − p_base
 * (a forest's are probabilities already); the ensemble's are the weighted sum, adding up to
 * its probability minus its base value Σ weight · p_base.
 */
function weightedSum(members: Extract<Attribution, { kind: 'weighted-sum' }>['members']): ColumnAttribution {
  const parts = members.map((m) => {
    const c = fromAttribution(m.attribution);
    const toP = (x: number): number => (c.output === 'log_odds' ? sigmoid(x) : x);
    return { ...m, c, toP, pBase: toP(c.base) };
  });
  // Each matrix's member margins, computed once for all its rows.
  const margins = new WeakMap<FeatureMatrix, Float64Array[]>();
  const marginsOf = (X: FeatureMatrix): Float64Array[] => {
    let m = margins.get(X);
    if (!m) {
      m = parts.map((p) => p.c.margin(memberMatrix(X, p.offset, p.width)));
      margins.set(X, m);
    }
    return m;
  };
  const width = parts.reduce((n, p) => Math.max(n, p.offset + p.width), 0);
  return {
    output: 'probability',
    base: parts.reduce((s, p) => s + p.weight * p.pBase, 0),
    margin: (X) => {
      const ms = marginsOf(X);
      const out = new Float64Array(X.rows);
      parts.forEach((p, k) => {
        for (let i = 0; i < out.length; i++) out[i] += p.weight * p.toP(ms[k][i]);
      });
      return out;
    },
    contributions: (X, r) => {
      const ms = marginsOf(X);
      const out = new Float64Array(width);
      parts.forEach((p, k) => {
        const sub = memberMatrix(X, p.offset, p.width);
        const own = p.c.contributions(sub, r);
        const m = ms[k][r];
        let scale = 1;
        if (p.c.output === 'log_odds')
          // At the base margin itself the ratio is the logistic function's slope there.
          scale = m === p.c.base ? p.pBase * (1 - p.pBase) : (p.toP(m) - p.pBase) / (m - p.c.base);
        for (let j = 0; j < own.length; j++) out[p.offset + j] = p.weight * scale * own[j];
      });
      return out;
    },
  };
}

/** SHAP values of many rows, summed to source features. */
export interface ShapValues {
  output: Explanation['output'];
  base: number;
  /** Source feature names, in schema order. */
  features: string[];
  /** The data-set rows explained, in order. */
  rows: number[];
  margin: Float64Array;
  /** values[i][f]: contribution of feature f for the i-th explained row. */
  values: Float64Array[];
}

export function shapValues(model: CreditModel, ds: Dataset, rows?: readonly number[]): ShapValues {
  const index = rows ? [...rows] : Array.from({ length: ds.rows }, (_, i) => i);
  for (const r of index) {
    if (!Number.isInteger(r) || r < 0 || r >= ds.rows)
      throw new MlopsError('input', `row ${r} is outside the data set (0 … ${ds.rows - 1})`);
  }
  const part = rows ? subset(ds, index) : ds;
  const X = model.encode(part);
  const a = columnAttribution(model);
  const sources = model.sources();
  const features = model.bundle.schema.features.map((f) => f.name);
  const margin = a.margin(X);
  const values = index.map((_, i) => {
    const enc = a.contributions(X, i);
    const out = new Float64Array(features.length);
    for (let j = 0; j < enc.length; j++) out[sources[j]] += enc[j];
    return out;
  });
  return { output: a.output, base: a.base, features, rows: index, margin, values };
}

function rawValue(ds: Dataset, feature: string, r: number): number | string | null {
  const num = ds.numeric.get(feature);
  if (num) return Number.isNaN(num[r]) ? null : num[r];
  return ds.categorical.get(feature)?.[r] ?? null;
}

/** Explanations of the given rows of a data set (all rows when `rows` is omitted). */
export function explainRows(
  model: CreditModel,
  ds: Dataset,
  rows?: number[],
  opts: ExplainOptions = {},
): Explanation[] {
  const s = shapValues(model, ds, rows);
  const schema = model.bundle.schema.features;
  return s.rows.map((r, i) => {
    const contributions: FeatureContribution[] = s.features
      .map((feature, f) => ({ feature, value: rawValue(ds, feature, r), contribution: s.values[i][f] }))
      .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution) || (a.feature < b.feature ? -1 : 1));
    const margin = s.margin[i];
    return {
      output: s.output,
      base_value: s.base,
      margin,
      probability: s.output === 'log_odds' ? sigmoid(margin) : margin,
      contributions,
      reason_codes: reasonCodes(contributions, schema, opts.maxReasons ?? 4, opts.reference),
    };
  });
}

export interface FeatureImportance {
  feature: string;
  /** Mean |SHAP| in margin units. */
  mean_abs_shap: number;
  /** Mean drop in ROC AUC when the feature is shuffled (null without labels). */
  permutation: number | null;
  /** Standard deviation of the drop over repeats. */
  permutation_sd: number | null;
}

function meanAbsShap(s: ShapValues): Float64Array {
  const out = new Float64Array(s.features.length);
  for (const v of s.values) for (let f = 0; f < v.length; f++) out[f] += Math.abs(v[f]);
  if (s.values.length) for (let f = 0; f < out.length; f++) out[f] /= s.values.length;
  return out;
}

/**
 * Permutation importance on labelled rows: the mean fall in ROC AUC when one source
 * feature's values are shuffled across rows (all its encoded columns move together).
 * Seeded, so the report is reproducible.
 */
function permutationImportance(
  model: CreditModel,
  ds: Dataset,
  opts: { repeats?: number; seed?: number } = {},
): { mean: Float64Array; sd: Float64Array } {
  if (!ds.y) throw new MlopsError('input', `${ds.file}: permutation importance needs labelled rows`);
  const repeats = opts.repeats ?? 5;
  const seed = opts.seed ?? 0;
  const features = model.bundle.schema.features;
  const baseline = rocAuc(ds.y, model.score(ds)) ?? 0.5;
  const mean = new Float64Array(features.length);
  const sd = new Float64Array(features.length);
  features.forEach((f, k) => {
    const drops: number[] = [];
    for (let rep = 0; rep < repeats; rep++) {
      const perm = Array.from({ length: ds.rows }, (_, i) => i);
      new Rng(deriveSeed(seed, 303, k, rep)).shuffle(perm);
      const numeric = new Map(ds.numeric);
      const categorical = new Map(ds.categorical);
      if (f.kind === 'numeric') {
        const v = ds.numeric.get(f.name)!;
        numeric.set(
          f.name,
          Float64Array.from(perm, (i) => v[i]),
        );
      } else {
        const v = ds.categorical.get(f.name)!;
        categorical.set(
          f.name,
          perm.map((i) => v[i]),
        );
      }
      const auc = rocAuc(ds.y!, model.score({ ...ds, numeric, categorical })) ?? 0.5;
      drops.push(baseline - auc);
    }
    const m = drops.reduce((s, x) => s + x, 0) / drops.length;
    mean[k] = m;
    sd[k] = drops.length > 1 ? Math.sqrt(drops.reduce((s, x) => s + (x - m) ** 2, 0) / (drops.length - 1)) : 0;
  });
  return { mean, sd };
}

/** Both global importances, sorted by mean |SHAP|. */
export function globalImportance(
  model: CreditModel,
  ds: Dataset,
  opts: { shap?: ShapValues; repeats?: number; seed?: number } = {},
): FeatureImportance[] {
  const s = opts.shap ?? shapValues(model, ds);
  const abs = meanAbsShap(s);
  const perm = ds.y ? permutationImportance(model, ds, { repeats: opts.repeats, seed: opts.seed }) : null;
  return s.features
    .map((feature, f) => ({
      feature,
      mean_abs_shap: abs[f],
      permutation: perm ? perm.mean[f] : null,
      permutation_sd: perm ? perm.sd[f] : null,
    }))
    .sort((a, b) => b.mean_abs_shap - a.mean_abs_shap || (a.feature < b.feature ? -1 : 1));
}

/** Percentile reference from a data set's numeric columns (e.g. the test rows). */
export function referenceFrom(ds: Dataset): ReferenceValues {
  return referenceValues(ds.numeric);
}
