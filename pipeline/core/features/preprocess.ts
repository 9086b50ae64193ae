/**
 * Turns a typed data set into the numeric matrix an engine needs. Fitted on training
 * rows only, stored in the bundle, and applied unchanged to validation, test and
 * scoring rows. Two encodings:
 * - tree: numbers stay raw (NaN = missing, trees learn where missing goes);
 *   categories become codes ordered by their training default rate, so one threshold
 *   split separates riskier from safer categories.
 * - linear: numbers imputed with the training median and standardised, plus a
 *   missing-indicator where training had missing values; categories one-hot encoded.
 * Categories never seen in training are scored as missing (tree) or all-zero (linear):
 * scoring never fails on them.
 */
import type { FeatureMatrix } from '../engines/engine.ts';
import type { Dataset } from '../data/dataset.ts';
import type { DataSchema } from '../data/schema.ts';
import { medianInPlace, medianOf, observedValues } from '../common/median.ts';

export type Encoding = 'tree' | 'linear';

export type EncodedColumn =
  | { source: string; kind: 'numeric'; impute: number; center: number; scale: number; missing_indicator: boolean }
  | { source: string; kind: 'categorical'; categories: string[]; missing_category: boolean };

export interface PreprocessorState {
  encoding: Encoding;
  columns: EncodedColumn[];
}

const MISSING_LABEL = '(missing)';

export function fitPreprocessor(train: Dataset, schema: DataSchema, encoding: Encoding): PreprocessorState {
  const y = train.y;
  if (!y) throw new Error('fitPreprocessor needs labelled training rows');
  const columns: EncodedColumn[] = schema.features.map((f) => {
    if (f.kind === 'numeric') {
      const v = train.numeric.get(f.name)!;
      if (encoding === 'tree')
        return {
          source: f.name,
          kind: 'numeric',
          impute: medianOf(v) ?? 0,
          center: 0,
          scale: 1,
          missing_indicator: false,
        };
      const observed = observedValues(v);
      const median = medianInPlace(observed) ?? 0;
      // Summed in ascending order, as these figures always were, so the same rows give the same bits.
      observed.sort();
      let sum = 0;
      for (const x of observed) sum += x;
      const mean = observed.length ? sum / observed.length : 0;
      let squares = 0;
      for (const x of observed) squares += (x - mean) ** 2;
      const sd = Math.sqrt(observed.length > 1 ? squares / (observed.length - 1) : 0);
      return {
        source: f.name,
        kind: 'numeric',
        impute: median,
        center: mean,
        scale: sd > 0 ? sd : 1,
        missing_indicator: observed.length < v.length,
      };
    }
    const values = train.categorical.get(f.name)!;
    const pos = new Map<string, number>();
    const cnt = new Map<string, number>();
    let missing = 0;
    values.forEach((c, i) => {
      if (c === null) {
        missing++;
        return;
      }
      cnt.set(c, (cnt.get(c) ?? 0) + 1);
      pos.set(c, (pos.get(c) ?? 0) + y[i]);
    });
    const prior = y.reduce((s, x) => s + x, 0) / Math.max(1, y.length);
    // Smoothed default rate: rare categories are pulled toward the overall rate.
    const rate = (c: string): number => (pos.get(c)! + prior) / (cnt.get(c)! + 1);
    const categories = [...cnt.keys()].sort((a, b) =>
      encoding === 'tree' ? rate(a) - rate(b) || cmp(a, b) : cnt.get(b)! - cnt.get(a)! || cmp(a, b),
    );
    return { source: f.name, kind: 'categorical', categories, missing_category: encoding === 'linear' && missing > 0 };
  });
  return { encoding, columns };
}

export function featureNames(state: PreprocessorState): string[] {
  const names: string[] = [];
  for (const c of state.columns) {
    if (c.kind === 'numeric') {
      names.push(c.source);
      if (c.missing_indicator) names.push(`${c.source}__missing`);
    } else if (state.encoding === 'tree') names.push(c.source);
    else {
      for (const cat of c.categories) names.push(`${c.source}=${cat}`);
      if (c.missing_category) names.push(`${c.source}=${MISSING_LABEL}`);
    }
  }
  return names;
}

/** For each encoded column, the index of the source feature it came from. */
export function featureSources(state: PreprocessorState): number[] {
  const out: number[] = [];
  state.columns.forEach((c, i) => {
    let width = 1;
    if (c.kind === 'numeric') width = c.missing_indicator ? 2 : 1;
    else if (state.encoding === 'linear') width = c.categories.length + (c.missing_category ? 1 : 0);
    for (let k = 0; k < width; k++) out.push(i);
  });
  return out;
}

export function transform(state: PreprocessorState, ds: Dataset): FeatureMatrix {
  const n = ds.rows;
  const columns: Float64Array[] = [];
  const categorical: boolean[] = [];
  for (const c of state.columns) {
    if (c.kind === 'numeric') {
      const v = ds.numeric.get(c.source);
      if (!v) throw new Error(`column "${c.source}" is not in the data set`);
      if (state.encoding === 'tree') {
        // Trees take numbers as they are: the data set's column itself (engines only read X).
        columns.push(v);
      } else {
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = ((Number.isNaN(v[i]) ? c.impute : v[i]) - c.center) / c.scale;
        columns.push(out);
      }
      categorical.push(false);
      if (c.missing_indicator) {
        const ind = new Float64Array(n);
        for (let i = 0; i < n; i++) ind[i] = Number.isNaN(v[i]) ? 1 : 0;
        columns.push(ind);
        categorical.push(false);
      }
      continue;
    }
    const v = ds.categorical.get(c.source);
    if (!v) throw new Error(`column "${c.source}" is not in the data set`);
    const code = new Map(c.categories.map((cat, i) => [cat, i]));
    if (state.encoding === 'tree') {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const k = v[i] === null ? undefined : code.get(v[i]!);
        out[i] = k === undefined ? NaN : k;
      }
      columns.push(out);
      categorical.push(true);
      continue;
    }
    const width = c.categories.length + (c.missing_category ? 1 : 0);
    const block = Array.from({ length: width }, () => new Float64Array(n));
    for (let i = 0; i < n; i++) {
      const k = v[i] === null ? (c.missing_category ? c.categories.length : undefined) : code.get(v[i]!);
      if (k !== undefined) block[k][i] = 1;
    }
    for (const b of block) columns.push(b);
    for (let k = 0; k < width; k++) categorical.push(false);
  }
  return { names: featureNames(state), rows: n, columns, categorical };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
