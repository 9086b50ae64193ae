/**
 * Reason codes: the features that pushed one applicant toward "bad", said the way a
 * relationship manager would say them to a client. Wording comes only from the schema
 * (ranges, medians, category shares) and, when given, a reference sample for
 * percentiles, so it works for any data set a lender brings.
 */
import type { ColumnSchema } from '../data/schema.ts';
import type { FeatureContribution } from './types.ts';

/** Sorted observed values per numeric feature, for "bottom 15 %"-style percentiles. */
export type ReferenceValues = Map<string, Float64Array>;

export function referenceValues(numeric: Map<string, Float64Array>): ReferenceValues {
  const out: ReferenceValues = new Map();
  for (const [name, v] of numeric) {
    const observed = Float64Array.from(Array.from(v).filter((x) => !Number.isNaN(x))).sort();
    if (observed.length >= 20) out.set(name, observed);
  }
  return out;
}

/** Share (0–100) of reference values strictly below x, plus half of the ties. */
export function percentileOf(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  let ties = lo;
  while (ties < sorted.length && sorted[ties] === x) ties++;
  return (100 * (lo + (ties - lo) / 2)) / sorted.length;
}

function number(x: number): string {
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  return Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : String(Number(x.toPrecision(3)));
}

/** One sentence for one feature that raised the applicant's risk. */
export function reasonText(col: ColumnSchema, value: number | string | null, ref?: ReferenceValues): string {
  if (value === null || (typeof value === 'number' && Number.isNaN(value))) {
    return `${col.name} is not given (missing), which in this model goes with more defaults`;
  }
  if (col.kind === 'categorical') {
    const total = col.counts.reduce((s, c) => s + c, 0);
    const k = col.categories.indexOf(String(value));
    if (k < 0) return `${col.name} is "${value}", a value not seen in the training data`;
    const share = total > 0 ? Math.round((100 * col.counts[k]) / total) : 0;
    const yesNo = col.categories.length === 2 && col.categories.every((c) => /^(yes|no)$/i.test(c));
    if (yesNo && /^yes$/i.test(String(value)))
      return `Has ${col.name.toLowerCase()} on file (${col.name} = yes; ${share} % of applicants)`;
    return `${col.name} is "${value}" (${share} % of applicants), a group with more defaults`;
  }
  const x = Number(value);
  const sorted = ref?.get(col.name);
  const median = col.median;
  if (sorted) {
    const pct = percentileOf(sorted, x);
    if (pct <= 40)
      return `${col.name} of ${number(x)} is low compared with most applicants (bottom ${Math.max(1, Math.round(pct))} %)`;
    if (pct >= 60)
      return `${col.name} of ${number(x)} is high compared with most applicants (top ${Math.max(1, Math.round(100 - pct))} %)`;
    return `${col.name} of ${number(x)} is close to the typical applicant's, and at this level it adds to the risk`;
  }
  if (median !== null && x < median)
    return `${col.name} of ${number(x)} is below the typical applicant's ${number(median)} (median)`;
  if (median !== null && x > median)
    return `${col.name} of ${number(x)} is above the typical applicant's ${number(median)} (median)`;
  return `${col.name} of ${number(x)} adds to the risk in this model`;
}

/** Up to `max` reasons, strongest first, from contributions that raise the risk. */
export function reasonCodes(
  contributions: readonly FeatureContribution[],
  schema: readonly ColumnSchema[],
  max = 4,
  ref?: ReferenceValues,
): string[] {
  const byName = new Map(schema.map((c) => [c.name, c]));
  return contributions
    .filter((c) => c.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution)
    .slice(0, max)
    .map((c) => reasonText(byName.get(c.feature)!, c.value, ref));
}
