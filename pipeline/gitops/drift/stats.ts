/**
 * The drift statistics, written out so each one can be checked by hand:
 * Population Stability Index on bins fixed by the reference, the two-sample
 * Kolmogorov–Smirnov test for numeric features, and the Jensen–Shannon distance for
 * categorical ones.
 */

/** A proportion of zero would make PSI infinite; like Evidently, an empty bin counts as 0.0001. */
export const PSI_EMPTY_BIN = 1e-4;

/** Label of the bin that holds missing values (numeric NaN, categorical null). */
export const MISSING_BIN = '(missing)';

/** Quantile of sorted values, linear interpolation between order statistics (R type 7, numpy default). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function sortedPresent(values: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) out.push(values[i]);
  return Float64Array.from(out).sort();
}

/**
 * Inner bin edges at the reference's quantiles 1/bins … (bins−1)/bins, duplicates
 * removed (a column with few distinct values gets fewer bins). Bins are right-closed:
 * (−∞, e1], (e1, e2], …, (e_k, ∞).
 */
export function quantileEdges(reference: ArrayLike<number>, bins: number): number[] {
  const sorted = sortedPresent(reference);
  if (sorted.length === 0) return [];
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const q = quantileSorted(sorted, k / bins);
    if (edges.length === 0 || q > edges[edges.length - 1]) edges.push(q);
  }
  return edges;
}

/** Counts per bin; the last slot counts missing values. */
export function binCounts(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 2).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) {
      counts[edges.length + 1]++;
      continue;
    }
    // Binary search for the first edge ≥ v: its index is v's bin.
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v <= edges[mid]) hi = mid;
      else lo = mid + 1;
    }
    counts[lo]++;
  }
  return counts;
}

export function binLabels(edges: readonly number[]): string[] {
  const f = (x: number): string => String(Math.round(x * 1e4) / 1e4);
  const labels: string[] = [];
  for (let i = 0; i <= edges.length; i++) {
    if (edges.length === 0) labels.push('all');
    else if (i === 0) labels.push(`≤ ${f(edges[0])}`);
    else if (i === edges.length) labels.push(`> ${f(edges[i - 1])}`);
    else labels.push(`(${f(edges[i - 1])}, ${f(edges[i])}]`);
  }
  labels.push(MISSING_BIN);
  return labels;
}

export function proportions(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total === 0 ? 0 : c / total));
}

/** PSI = Σ (current − reference) · ln(current / reference) over the bins, empty bins smoothed. */
export function psi(reference: readonly number[], current: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < reference.length; i++) {
    if (reference[i] === 0 && current[i] === 0) continue; // a bin neither sample uses adds nothing
    const r = Math.max(reference[i], PSI_EMPTY_BIN);
    const c = Math.max(current[i], PSI_EMPTY_BIN);
    s += (c - r) * Math.log(c / r);
  }
  return s;
}

/** Two-sample Kolmogorov–Smirnov statistic D = sup |F_ref − F_cur|, missing values left out. */
export function ksStatistic(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
): { d: number; n: number; m: number } {
  const a = sortedPresent(reference);
  const b = sortedPresent(current);
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return { d: 0, n, m };
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i], b[j]);
    while (i < n && a[i] === x) i++;
    while (j < m && b[j] === x) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  return { d, n, m };
}

/** Kolmogorov survival function Q(λ) = 2 Σ_{j≥1} (−1)^{j−1} e^{−2 j² λ²}. */
export function kolmogorovQ(lambda: number): number {
  if (lambda < 1e-3) return 1;
  let sum = 0;
  for (let j = 1; j <= 100; j++) {
    const term = Math.exp(-2 * j * j * lambda * lambda);
    sum += (j % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-12) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** Asymptotic p-value of D with Stephens' small-sample correction (Numerical Recipes `kstwo`). */
export function ksPValue(d: number, n: number, m: number): number {
  if (n === 0 || m === 0) return 1;
  const en = Math.sqrt((n * m) / (n + m));
  return kolmogorovQ((en + 0.12 + 0.11 / en) * d);
}

/** Jensen–Shannon distance (square root of the divergence, base 2): 0 = same, 1 = disjoint. */
export function jensenShannon(p: readonly number[], q: readonly number[]): number {
  let div = 0;
  for (let i = 0; i < p.length; i++) {
    const mid = (p[i] + q[i]) / 2;
    if (p[i] > 0) div += 0.5 * p[i] * Math.log2(p[i] / mid);
    if (q[i] > 0) div += 0.5 * q[i] * Math.log2(q[i] / mid);
  }
  return Math.sqrt(Math.max(0, div));
}

/** Category counts over the union of categories (reference order first), missing last. */
export function categoryCounts(
  reference: readonly (string | null)[],
  current: readonly (string | null)[],
): { labels: string[]; reference: number[]; current: number[] } {
  const order: string[] = [];
  const index = new Map<string, number>();
  const add = (v: string): void => {
    if (!index.has(v)) {
      index.set(v, order.length);
      order.push(v);
    }
  };
  const refCounts = new Map<string, number>();
  for (const v of reference) if (v !== null) refCounts.set(v, (refCounts.get(v) ?? 0) + 1);
  // Reference categories most frequent first, then categories only the current data has.
  [...refCounts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).forEach(([v]) => add(v));
  for (const v of current) if (v !== null) add(v);
  const count = (values: readonly (string | null)[]): number[] => {
    const out = new Array<number>(order.length + 1).fill(0);
    for (const v of values) out[v === null ? order.length : index.get(v)!]++;
    return out;
  };
  return { labels: [...order, MISSING_BIN], reference: count(reference), current: count(current) };
}
