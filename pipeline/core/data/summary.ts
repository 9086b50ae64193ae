/**
 * Per-column summary statistics, computed with arquero (fast columnar rollups):
 * the schema records them and the reports show them. The median is selected
 * (common/median.ts) rather than asked of arquero, which sorts a copy of the column through
 * a comparator: at a million rows that sort was most of schema inference.
 */
import * as aq from 'arquero';
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
  const t = aq.table({ v: values });
  const [s] = t
    .rollup({
      valid: aq.op.valid('v'),
      mean: aq.op.mean('v'),
      sd: aq.op.stdev('v'),
      min: aq.op.min('v'),
      max: aq.op.max('v'),
    })
    .objects() as Record<string, number | undefined>[];
  const valid = s.valid ?? 0;
  const num = (x: number | undefined): number | null => (valid > 0 && x !== undefined && Number.isFinite(x) ? x : null);
  return {
    count: values.length,
    missing: values.length - valid,
    mean: num(s.mean),
    sd: valid > 1 ? num(s.sd) : 0,
    median: medianOf(values),
    min: num(s.min),
    max: num(s.max),
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
