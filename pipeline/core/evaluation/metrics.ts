/**
 * Classification metrics for a binary credit model. Conventions follow scikit-learn
 * where one exists (ties in ROC AUC get average ranks; PR AUC is average precision;
 * precision with no predicted positives is 0). Metrics undefined for a sample with an
 * empty class (ROC AUC, PR AUC, KS, and recall and F1 when there is no positive row) are
 * null rather than a misleading number; `undefinedMetrics` says which, and why.
 */

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

export interface Costs {
  false_negative: number;
  false_positive: number;
}

export interface SplitMetrics {
  roc_auc: number | null;
  pr_auc: number | null;
  accuracy: number;
  precision: number;
  /** Null when the rows hold no positive: the share of positives found is undefined (0/0). */
  recall: number | null;
  f1: number | null;
  brier: number;
  log_loss: number;
  ks: number | null;
  gini: number | null;
  threshold: number;
  /** Average business cost per applicant at the threshold. */
  expected_cost: number;
  confusion_matrix: Confusion;
}

/** Names of the metrics where larger is better; the rest (brier, log_loss, expected_cost) are smaller-is-better. */
export const HIGHER_IS_BETTER: Record<string, boolean> = {
  roc_auc: true,
  pr_auc: true,
  accuracy: true,
  precision: true,
  recall: true,
  f1: true,
  ks: true,
  gini: true,
  brier: false,
  log_loss: false,
  expected_cost: false,
};

export const METRIC_NAMES = Object.keys(HIGHER_IS_BETTER);

const EPS = 1e-15;

export function confusion(y: ArrayLike<number>, p: ArrayLike<number>, threshold: number): Confusion {
  const c = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < y.length; i++) {
    const predicted = p[i] >= threshold;
    if (y[i] === 1) {
      if (predicted) c.tp++;
      else c.fn++;
    } else if (predicted) c.fp++;
    else c.tn++;
  }
  return c;
}

export function costOf(c: Confusion, costs: Costs): number {
  const n = c.tp + c.fp + c.tn + c.fn;
  return n === 0 ? 0 : (costs.false_negative * c.fn + costs.false_positive * c.fp) / n;
}

/** ROC AUC by the Mann–Whitney statistic with average ranks for tied scores. */
export function rocAuc(y: ArrayLike<number>, p: ArrayLike<number>): number | null {
  const n = y.length;
  const order = sortedOrder(p);
  let nPos = 0;
  for (let i = 0; i < n; i++) nPos += y[i];
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  let rankSumPos = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && p[order[j + 1]] === p[order[i]]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (y[order[k]] === 1) rankSumPos += avgRank;
    i = j + 1;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export interface CurvePoint {
  threshold: number;
  tp: number;
  fp: number;
}

/** Cumulative counts at each distinct score, highest score first (the ROC/PR walk). */
export function cumulativeCounts(y: ArrayLike<number>, p: ArrayLike<number>): CurvePoint[] {
  const order = sortedOrder(p).reverse();
  const points: CurvePoint[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    if (y[i] === 1) tp++;
    else fp++;
    if (k === order.length - 1 || p[order[k + 1]] !== p[i]) points.push({ threshold: p[i], tp, fp });
  }
  return points;
}

export function rocCurve(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
): { fpr: number[]; tpr: number[]; thresholds: number[] } {
  const pts = cumulativeCounts(y, p);
  const nPos = pts.length ? pts[pts.length - 1].tp : 0;
  const nNeg = pts.length ? pts[pts.length - 1].fp : 0;
  const fpr = [0];
  const tpr = [0];
  const thresholds = [Infinity];
  for (const pt of pts) {
    fpr.push(nNeg ? pt.fp / nNeg : 0);
    tpr.push(nPos ? pt.tp / nPos : 0);
    thresholds.push(pt.threshold);
  }
  return { fpr, tpr, thresholds };
}

export function prCurve(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
): { precision: number[]; recall: number[]; thresholds: number[] } {
  const pts = cumulativeCounts(y, p);
  const nPos = pts.length ? pts[pts.length - 1].tp : 0;
  return {
    precision: pts.map((pt) => pt.tp / (pt.tp + pt.fp)),
    recall: pts.map((pt) => (nPos ? pt.tp / nPos : 0)),
    thresholds: pts.map((pt) => pt.threshold),
  };
}

/** Average precision: Σ (R_n − R_{n−1}) · P_n over distinct thresholds. */
export function averagePrecision(y: ArrayLike<number>, p: ArrayLike<number>): number | null {
  const pts = cumulativeCounts(y, p);
  const nPos = pts.length ? pts[pts.length - 1].tp : 0;
  if (nPos === 0) return null;
  let ap = 0;
  let prevRecall = 0;
  for (const pt of pts) {
    const recall = pt.tp / nPos;
    ap += (recall - prevRecall) * (pt.tp / (pt.tp + pt.fp));
    prevRecall = recall;
  }
  return ap;
}

/** Kolmogorov–Smirnov statistic: largest gap between the classes' score CDFs. */
export function ksStatistic(y: ArrayLike<number>, p: ArrayLike<number>): number | null {
  const pts = cumulativeCounts(y, p);
  if (pts.length === 0) return null;
  const nPos = pts[pts.length - 1].tp;
  const nNeg = pts[pts.length - 1].fp;
  if (nPos === 0 || nNeg === 0) return null;
  let ks = 0;
  for (const pt of pts) ks = Math.max(ks, Math.abs(pt.tp / nPos - pt.fp / nNeg));
  return ks;
}

export function brierScore(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (p[i] - y[i]) ** 2;
  return y.length ? s / y.length : 0;
}

export function logLoss(y: ArrayLike<number>, p: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) {
    const q = Math.min(1 - EPS, Math.max(EPS, p[i]));
    s -= y[i] === 1 ? Math.log(q) : Math.log(1 - q);
  }
  return y.length ? s / y.length : 0;
}

export function computeMetrics(
  y: ArrayLike<number>,
  p: ArrayLike<number>,
  threshold: number,
  costs: Costs,
): SplitMetrics {
  const c = confusion(y, p, threshold);
  const n = y.length;
  const precision = c.tp + c.fp ? c.tp / (c.tp + c.fp) : 0;
  const recall = c.tp + c.fn ? c.tp / (c.tp + c.fn) : null;
  const auc = rocAuc(y, p);
  return {
    roc_auc: auc,
    pr_auc: averagePrecision(y, p),
    accuracy: n ? (c.tp + c.tn) / n : 0,
    precision,
    recall,
    f1: recall === null ? null : precision + recall ? (2 * precision * recall) / (precision + recall) : 0,
    brier: brierScore(y, p),
    log_loss: logLoss(y, p),
    ks: ksStatistic(y, p),
    gini: auc === null ? null : 2 * auc - 1,
    threshold,
    expected_cost: costOf(c, costs),
    confusion_matrix: c,
  };
}

/**
 * Why some metrics are null: the rows hold one class only, so the metrics that compare
 * the classes (ROC AUC, PR AUC, KS, Gini) or count found positives (recall, F1) are
 * undefined. Empty when every metric is defined.
 */
export function undefinedMetrics(m: SplitMetrics, labels: { positive: string; negative: string }): string[] {
  const c = m.confusion_matrix;
  const positives = c.tp + c.fn;
  const negatives = c.tp + c.fp + c.tn + c.fn - positives;
  if (positives > 0 && negatives > 0) return [];
  const missing = positives === 0 ? `no "${labels.positive}" row` : `no "${labels.negative}" row`;
  const names = Object.entries(m)
    .filter(([k, v]) => v === null && k !== 'confusion_matrix')
    .map(([k]) => k);
  return [`the rows hold ${missing}: ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} undefined (null)`];
}

/** Indices that sort `p` ascending (stable). */
function sortedOrder(p: ArrayLike<number>): Uint32Array {
  const order = new Uint32Array(p.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  return order.sort((a, b) => p[a] - p[b] || a - b);
}
