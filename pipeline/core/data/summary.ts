/**
 * Per-column summary statistics: the schema records them and the reports show them. The
 * figures are those arquero's rollup (valid, mean, stdev, min, max) gave, computed by the
 * same streaming updates in the same order — so the same doubles — in one loop over the
 * column, without arquero's per-value calls. The median is selected (common/median.ts)
 * rather than sorted.
 */
import { medianOf } from '../common/median.ts';

export interface NumericSummary {
  count: number;
  missing: number;
  mean: number | null;
  sd: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
}

export function summarizeNumeric(values: Float64Array): NumericSummary {
  let valid = 0;
  let mean = 0;
  let dev = 0;
  let min = NaN;
  let max = NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    valid++;
    // Welford's update, as arquero's mean and variance make it: the mean first, then the deviation with the new mean.
    const d = v - mean;
    mean += d / valid;
    dev += d * (v - mean);
    if (v < min || valid === 1) min = v;
    if (v > max || valid === 1) max = v;
  }
  const num = (x: number): number | null => (valid > 0 && Number.isFinite(x) ? x : null);
  return {
    count: values.length,
    missing: values.length - valid,
    mean: num(mean),
    sd: valid > 1 ? num(Math.sqrt(dev / (valid - 1))) : 0,
    median: medianOf(values),
    min: num(min),
    max: num(max),
  };
}

/** Category counts, most frequent first, ties by name so the order is deterministic. */
export function countCategories(values: readonly (string | null)[]): { categories: [string, number][]; missing: number } {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const v of values) {
    if (v === null) missing++;
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const categories = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return { categories, missing };
}
