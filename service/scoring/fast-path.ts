/**
 * The single-applicant fast path. `CreditModel.scoreRecords` builds a Dataset and runs
 * the general `transform`, which rebuilds category lookups and feature names on every
 * call; for one row that overhead dominates. Here the bundle's preprocessing is compiled
 * once into an encoder that fills a reusable one-row FeatureMatrix with exactly the
 * arithmetic of `transform`, and the model's own engine scores it — so the probability
 * is bit-for-bit the one CreditModel gives (a test checks every row of the data set).
 * Safe to reuse buffers: scoring is synchronous, one request at a time per process.
 */
import { type CreditModel, type FeatureMatrix, featureNames } from '../../pipeline/core/index.ts';

type Step = (rec: Record<string, unknown>) => void;

export function compileSingleRow(model: CreditModel): (rec: Record<string, unknown>) => number {
  const columns: Float64Array[] = [];
  const categorical: boolean[] = [];
  const steps: Step[] = [];
  const col = (isCategorical: boolean): Float64Array => {
    const a = new Float64Array(1);
    columns.push(a);
    categorical.push(isCategorical);
    return a;
  };
  // Same conversions as recordsToDataset: a number stays, null/undefined/'' is missing.
  const num = (v: unknown): number =>
    typeof v === 'number' ? v : v === null || v === undefined || v === '' ? NaN : Number(v);
  const cat = (v: unknown): string | null => (v === null || v === undefined || v === '' ? null : String(v));
  // An ensemble's members' encodings side by side, as CreditModel.encode lays them out.
  for (const state of model.preprocessing) {
    const linear = state.encoding === 'linear';
    for (const c of state.columns) {
      const name = c.source;
      if (c.kind === 'numeric') {
        const out = col(false);
        const { impute, center, scale } = c;
        if (!linear) steps.push((r) => (out[0] = num(r[name])));
        else
          steps.push((r) => {
            const v = num(r[name]);
            out[0] = ((Number.isNaN(v) ? impute : v) - center) / scale;
          });
        if (c.missing_indicator) {
          const ind = col(false);
          steps.push((r) => (ind[0] = Number.isNaN(num(r[name])) ? 1 : 0));
        }
        continue;
      }
      const code = new Map(c.categories.map((k, i) => [k, i]));
      if (!linear) {
        const out = col(true);
        steps.push((r) => {
          const v = cat(r[name]);
          const k = v === null ? undefined : code.get(v);
          out[0] = k === undefined ? NaN : k;
        });
        continue;
      }
      const width = c.categories.length + (c.missing_category ? 1 : 0);
      const block = Array.from({ length: width }, () => col(false));
      const missingSlot = c.missing_category ? c.categories.length : undefined;
      steps.push((r) => {
        for (const b of block) b[0] = 0;
        const v = cat(r[name]);
        const k = v === null ? missingSlot : code.get(v);
        if (k !== undefined) block[k][0] = 1;
      });
    }
  }
  const X: FeatureMatrix = { names: model.preprocessing.flatMap(featureNames), rows: 1, columns, categorical };
  const engine = model.engine;
  return (rec) => {
    for (let i = 0; i < steps.length; i++) steps[i](rec);
    return engine.predictProba(X)[0];
  };
}
