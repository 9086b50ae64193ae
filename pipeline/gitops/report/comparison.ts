/**
 * `comparison.json`: what the PR comment needs to show champion and challenger side by
 * side on the SAME rows — metrics and confusion matrices at each model's threshold, ROC
 * curves resampled onto a fixed grid, feature importance, data summaries and schema
 * changes. Computed once, where the models are (the train step), so the privileged
 * comment step only reads small JSON and never loads a model.
 */
import {
  type Bundle,
  type DataSchema,
  type RawTable,
  toDataset,
  computeMetrics,
  rocCurve,
  type Costs,
  type SplitMetrics,
  CreditModel,
  type MetricsFile,
  type FileRef,
} from '../../core/index.ts';

export const COMPARISON_FORMAT = 'credit-risk-gitops/comparison';

/** FPR grid the ROC curves are resampled onto (0, 0.05, …, 1): 21 points is enough for a chart. */
export const ROC_GRID = Array.from({ length: 21 }, (_, i) => i / 20);

export interface ModelSide {
  digest: string;
  engine: string;
  threshold: number;
  metrics: SplitMetrics;
  /** TPR at each FPR of ROC_GRID. */
  roc_tpr: number[];
  feature_importance: { feature: string; importance: number }[];
  data: { path: string; sha256: string; rows: number; positive_rate: number };
}

export interface ComparisonFile {
  format: typeof COMPARISON_FORMAT;
  format_version: 1;
  model: string;
  positive: string;
  negative: string;
  evaluated_on: { name: string; rows: number; positive_rate: number };
  roc_grid: number[];
  challenger: ModelSide & {
    overfitting: MetricsFile['overfitting'];
    timings: MetricsFile['timings'];
    rows: MetricsFile['rows'];
  };
  /** Null when there is no champion yet. */
  champion: (ModelSide & { version: number }) | null;
  /** Why the champion has no numbers when it exists but could not be scored on these rows. */
  champion_error: string | null;
  schema_changes: string[];
}

export interface ComparisonInput {
  challenger: Bundle;
  challengerMetrics: MetricsFile;
  /**
   * Labelled evaluation rows as raw tables (the registry's evaluation parts: test rows,
   * plus the golden file when configured). Each model builds its own features from them,
   * exactly as the promotion gate does, so the comment shows the rows the verdict used.
   */
  parts: { name: string; table: RawTable }[];
  /** Where each model's training rows were read from (the run's record, the version's lineage). */
  challengerData: FileRef;
  champion: { bundle: Bundle; version: number; data: FileRef } | null;
  /** One set of costs for both models (the challenger's), as in the gate. */
  costs: Costs;
}

/** Scores every part with one model; y and p concatenated in part order. */
export function scoreParts(bundle: Bundle, parts: ComparisonInput['parts']): { y: Uint8Array; p: Float64Array } {
  const model = new CreditModel(bundle);
  const ys: Uint8Array[] = [];
  const ps: Float64Array[] = [];
  for (const part of parts) {
    const ds = toDataset(part.table, bundle.schema, { requireTarget: true });
    ys.push(ds.y!);
    ps.push(model.score(ds));
  }
  const n = ys.reduce((a, y) => a + y.length, 0);
  const y = new Uint8Array(n);
  const p = new Float64Array(n);
  let off = 0;
  for (let i = 0; i < ys.length; i++) {
    y.set(ys[i], off);
    p.set(ps[i], off);
    off += ys[i].length;
  }
  return { y, p };
}

export function buildComparison(input: ComparisonInput): ComparisonFile {
  const b = input.challenger;
  const ch = scoreParts(b, input.parts);
  const challenger = {
    ...side(b, input.challengerData, computeMetrics(ch.y, ch.p, b.threshold, input.costs), resampleRoc(ch.y, ch.p)),
    overfitting: input.challengerMetrics.overfitting,
    timings: input.challengerMetrics.timings,
    rows: input.challengerMetrics.rows,
  };
  let champion: ComparisonFile['champion'] = null;
  let championError: string | null = null;
  if (input.champion) {
    const cb = input.champion.bundle;
    try {
      const s = scoreParts(cb, input.parts);
      champion = {
        ...side(cb, input.champion.data, computeMetrics(s.y, s.p, cb.threshold, input.costs), resampleRoc(s.y, s.p)),
        version: input.champion.version,
      };
    } catch (e) {
      // A champion trained on other columns cannot score these rows; say so rather than fail the run.
      championError = (e as Error).message;
    }
  }
  let positives = 0;
  for (const v of ch.y) positives += v;
  return {
    format: COMPARISON_FORMAT,
    format_version: 1,
    model: b.name,
    positive: b.schema.positive,
    negative: b.schema.negative,
    evaluated_on: {
      name: input.parts.map((p) => p.name).join(' + '),
      rows: ch.y.length,
      positive_rate: ch.y.length ? positives / ch.y.length : 0,
    },
    roc_grid: ROC_GRID,
    challenger,
    champion,
    champion_error: championError,
    schema_changes: input.champion ? schemaChanges(input.champion.bundle.schema, b.schema) : [],
  };
}

function side(b: Bundle, data: FileRef, metrics: SplitMetrics, roc: number[]): ModelSide {
  return {
    digest: b.digest,
    engine: b.provenance.engine,
    threshold: b.threshold,
    metrics,
    roc_tpr: roc,
    feature_importance: b.feature_importance,
    data: {
      path: data.path,
      sha256: data.sha256,
      rows: data.rows,
      positive_rate: b.schema.positive_rate,
    },
  };
}

/** The ROC curve's TPR at each FPR of the grid, by linear interpolation between its points. */
export function resampleRoc(y: ArrayLike<number>, p: ArrayLike<number>, grid: readonly number[] = ROC_GRID): number[] {
  const { fpr, tpr } = rocCurve(y, p);
  return grid.map((x) => {
    // Vertical segments share one FPR: take the highest TPR reached at x.
    let j = 0;
    while (j + 1 < fpr.length && fpr[j + 1] <= x) j++;
    if (fpr[j] === x || j + 1 >= fpr.length) {
      let t = tpr[j];
      for (let k = j; k >= 0 && fpr[k] === fpr[j]; k--) t = Math.max(t, tpr[k]);
      return round4(t);
    }
    const x0 = fpr[j];
    const x1 = fpr[j + 1];
    const t = tpr[j] + ((tpr[j + 1] - tpr[j]) * (x - x0)) / (x1 - x0);
    return round4(t);
  });
}

/** Human-readable differences between the champion's data schema and the challenger's. */
export function schemaChanges(before: DataSchema, after: DataSchema): string[] {
  const out: string[] = [];
  if (before.target !== after.target) out.push(`target column changed: ${before.target} → ${after.target}`);
  if (before.positive !== after.positive) out.push(`positive label changed: ${before.positive} → ${after.positive}`);
  const prev = new Map(before.features.map((f) => [f.name, f]));
  const next = new Map(after.features.map((f) => [f.name, f]));
  for (const f of after.features) if (!prev.has(f.name)) out.push(`feature added: ${f.name} (${f.kind})`);
  for (const f of before.features) if (!next.has(f.name)) out.push(`feature removed: ${f.name}`);
  for (const f of after.features) {
    const old = prev.get(f.name);
    if (!old) continue;
    if (old.kind !== f.kind) {
      out.push(`feature ${f.name}: kind changed ${old.kind} → ${f.kind}`);
      continue;
    }
    if (old.kind === 'categorical' && f.kind === 'categorical') {
      const added = f.categories.filter((c) => !old.categories.includes(c));
      const removed = old.categories.filter((c) => !f.categories.includes(c));
      if (added.length) out.push(`feature ${f.name}: new categories ${added.join(', ')}`);
      if (removed.length) out.push(`feature ${f.name}: categories no longer seen ${removed.join(', ')}`);
    }
  }
  return out;
}

function round4(x: number): number {
  return Math.round(x * 10000) / 10000;
}
