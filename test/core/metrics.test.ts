import { describe, expect, it } from 'vitest';
import {
  averagePrecision,
  brierScore,
  computeMetrics,
  confusion,
  ksStatistic,
  logLoss,
  rocAuc,
} from '../../pipeline/core/evaluation/metrics.ts';
import { chooseThreshold, costCurve } from '../../pipeline/core/evaluation/threshold.ts';

const costs = { false_negative: 5, false_positive: 1 };

describe('ROC AUC', () => {
  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])).toBe(0);
  });

  it('counts tied scores as half a correct pair (hand-computed)', () => {
    // Pairs (pos, neg): (0.5 vs 0.5) tie = 0.5, (0.5 vs 0.2) = 1, (0.9 vs 0.5) = 1, (0.9 vs 0.2) = 1 → 3.5 / 4
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.2])).toBeCloseTo(0.875, 12);
  });

  it('is 0.5 when every prediction is the same', () => {
    expect(rocAuc([1, 0, 1, 0, 0], [1, 1, 1, 1, 1])).toBe(0.5);
  });

  it('is undefined (null) when a class is empty', () => {
    expect(rocAuc([1, 1, 1], [0.2, 0.5, 0.9])).toBeNull();
    expect(rocAuc([0, 0], [0.2, 0.5])).toBeNull();
    expect(ksStatistic([0, 0], [0.2, 0.5])).toBeNull();
    expect(averagePrecision([0, 0], [0.2, 0.5])).toBeNull();
  });
});

describe('other metrics (hand-computed)', () => {
  const y = [1, 0, 1, 0, 0];
  const p = [0.9, 0.6, 0.4, 0.3, 0.1];

  it('average precision steps through recall at each distinct score', () => {
    // ranks: 0.9 (pos: P=1, R=.5), 0.6 (neg), 0.4 (pos: P=2/3, R=1) → .5·1 + .5·2/3
    expect(averagePrecision(y, p)).toBeCloseTo(0.5 + 1 / 3, 12);
  });

  it('KS is the largest gap between the class CDFs', () => {
    // after 0.9: TPR .5, FPR 0 → .5; after 0.4: TPR 1, FPR 1/3 → 2/3
    expect(ksStatistic(y, p)).toBeCloseTo(2 / 3, 12);
  });

  it('Brier score and log loss', () => {
    expect(brierScore(y, p)).toBeCloseTo((0.01 + 0.36 + 0.36 + 0.09 + 0.01) / 5, 12);
    const ll = -(Math.log(0.9) + Math.log(0.4) + Math.log(0.4) + Math.log(0.7) + Math.log(0.9)) / 5;
    expect(logLoss(y, p)).toBeCloseTo(ll, 12);
    expect(Number.isFinite(logLoss([1, 0], [0, 1]))).toBe(true);
  });

  it('confusion matrix and the metrics derived from it at a threshold', () => {
    expect(confusion(y, p, 0.5)).toEqual({ tp: 1, fp: 1, tn: 2, fn: 1 });
    const m = computeMetrics(y, p, 0.5, costs);
    expect(m.precision).toBe(0.5);
    expect(m.recall).toBe(0.5);
    expect(m.f1).toBe(0.5);
    expect(m.accuracy).toBeCloseTo(0.6, 12);
    expect(m.expected_cost).toBeCloseTo((5 * 1 + 1 * 1) / 5, 12);
    expect(m.gini).toBeCloseTo(2 * m.roc_auc! - 1, 12);
  });

  it('precision is 0, not NaN, when nothing is predicted positive', () => {
    const m = computeMetrics([1, 0], [0.1, 0.2], 0.9, costs);
    expect(m.precision).toBe(0);
    expect(m.f1).toBe(0);
  });
});

describe('business-cost threshold', () => {
  it('minimises cost_fn × FN + cost_fp × FP over candidate thresholds', () => {
    const y = [1, 0, 1, 0, 0, 0];
    const p = [0.9, 0.7, 0.6, 0.3, 0.2, 0.1];
    const { threshold, expected_cost } = chooseThreshold(y, p, costs);
    // Flagging the top three (one false positive) catches both defaults: cost 1/6.
    expect(confusion(y, p, threshold)).toEqual({ tp: 2, fp: 1, tn: 3, fn: 0 });
    expect(expected_cost).toBeCloseTo(1 / 6, 12);
    // The brute-force minimum over every curve point agrees.
    const min = costCurve(y, p, costs).reduce((m, c) => Math.min(m, c.cost), Infinity);
    expect(expected_cost).toBeCloseTo(min, 12);
  });

  it('refuses nobody when false positives cost far more than defaults', () => {
    const { threshold } = chooseThreshold([1, 0, 0], [0.6, 0.5, 0.4], { false_negative: 1, false_positive: 100 });
    expect(confusion([1, 0, 0], [0.6, 0.5, 0.4], threshold).fp).toBe(0);
  });
});
