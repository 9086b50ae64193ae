/**
 * Summaries of cross-validated fold scores, shared by `engine: auto`'s selection (auto.ts)
 * and its ensemble decision (auto-ensemble.ts), so both judge candidates by the same numbers.
 */

/** Mean and sample standard deviation of fold scores; nulls when there are none or one is not finite. */
export function foldStats(xs: number[]): { mean: number | null; sd: number | null } {
  if (xs.length === 0 || !xs.every(Number.isFinite)) return { mean: null, sd: null };
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
}

/**
 * How far `other` is behind `best` and the noise of that gap. Every candidate is scored on the
 * same folds, and folds differ in difficulty for every candidate alike, so the noise is the
 * standard error of the per-fold differences (paired), not that of either mean: with few
 * folds the spread of each mean is mostly the folds' difficulty, which cancels in the
 * difference. A positive gap means `other` is worse.
 */
export function pairedGap(best: number[], other: number[], higher: boolean): { gap: number; se: number } {
  if (best.length !== other.length || best.length < 2)
    throw new Error(`paired fold scores must have the same length ≥ 2 (got ${best.length} and ${other.length})`);
  const st = foldStats(best.map((b, i) => (higher ? b - other[i] : other[i] - b)));
  return { gap: st.mean!, se: st.sd! / Math.sqrt(best.length) };
}
