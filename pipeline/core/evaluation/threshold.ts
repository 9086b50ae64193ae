/**
 * The decision threshold that minimises expected business cost
 * (cost_fn × FN + cost_fp × FP). It is chosen on validation rows only and then applied
 * unchanged to test rows, so the test figures stay an honest estimate.
 */
import { cumulativeCounts, type Costs } from './metrics.ts';

export interface ThresholdChoice {
  threshold: number;
  expected_cost: number;
}

/** Cost per applicant at every candidate threshold, highest threshold first. */
export function costCurve(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  costs: Costs,
): { threshold: number; cost: number }[] {
  const pts = cumulativeCounts(y, p);
  const n = y.length;
  if (n === 0) return [];
  const nPos = pts[pts.length - 1].tp;
  // Candidates sit midway between neighbouring distinct scores, so a test score equal
  // to a validation score is never decided by the accident of a tie.
  const curve = [
    {
      threshold: Math.min(1, pts[0].threshold + (1 - pts[0].threshold) / 2 || 1),
      cost: (costs.false_negative * nPos) / n,
    },
  ];
  for (let k = 0; k < pts.length; k++) {
    const next = k + 1 < pts.length ? pts[k + 1].threshold : 0;
    const threshold = (pts[k].threshold + next) / 2;
    const fn = nPos - pts[k].tp;
    curve.push({ threshold, cost: (costs.false_negative * fn + costs.false_positive * pts[k].fp) / n });
  }
  return curve;
}

export function chooseThreshold(y: ArrayLike<number>, p: ArrayLike<number>, costs: Costs): ThresholdChoice {
  const curve = costCurve(y, p, costs);
  if (curve.length === 0) return { threshold: 0.5, expected_cost: 0 };
  let best = curve[0];
  for (const pt of curve) if (pt.cost < best.cost - 1e-12) best = pt;
  return { threshold: best.threshold, expected_cost: best.cost };
}
