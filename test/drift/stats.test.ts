import { describe, expect, it } from 'vitest';
import {
  binCounts,
  categoryCounts,
  jensenShannon,
  kolmogorovQ,
  ksPValue,
  ksStatistic,
  proportions,
  psi,
  quantileEdges,
} from '../../pipeline/gitops/drift/stats.ts';
import { categoricalDrift, numericDrift } from '../../pipeline/gitops/drift/drift.ts';
import { defaultConfig } from '../../pipeline/core/config/defaults.ts';

const T = defaultConfig().drift;

describe('drift statistics against hand-computed values', () => {
  it('quantile bin edges come from the reference, ties collapse', () => {
    expect(quantileEdges([1, 2, 3, 4], 2)).toEqual([2.5]);
    // Quartiles of 1..9 by linear interpolation: 3, 5, 7.
    expect(quantileEdges([9, 1, 2, 3, 4, 5, 6, 7, 8], 4)).toEqual([3, 5, 7]);
    expect(quantileEdges([1, 1, 1, 1, 2], 4)).toEqual([1]);
    expect(quantileEdges([NaN, NaN], 4)).toEqual([]);
    // Right-closed bins; the last slot is the missing-value bin.
    expect(binCounts([1, 2.5, 2.6, 10, NaN], [2.5])).toEqual([2, 2, 1]);
  });

  it('PSI: Σ (c − r) ln(c / r), empty bins counted as 0.0001', () => {
    // reference 1,2,3,4 → bins (≤2.5, >2.5) = 50 % / 50 %; current 1,1,1,4 → 75 % / 25 %.
    const edges = quantileEdges([1, 2, 3, 4], 2);
    const r = proportions(binCounts([1, 2, 3, 4], edges));
    const c = proportions(binCounts([1, 1, 1, 4], edges));
    // 0.25 · ln 1.5 + 0.25 · ln 2 = 0.101366 + 0.173287
    expect(psi(r, c)).toBeCloseTo(0.2746531, 6);
    // An empty current bin: (1 − 0.5) ln 2 + (0.0001 − 0.5) ln(0.0002) = 0.346574 + 4.257745
    expect(psi([0.5, 0.5], [1, 0])).toBeCloseTo(4.6043185, 6);
    expect(psi([0.2, 0.3, 0.5], [0.2, 0.3, 0.5])).toBe(0);
  });

  it('KS statistic and its asymptotic p-value', () => {
    expect(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6]).d).toBe(0.5);
    expect(ksStatistic([1, 2, 3], [1, 2, 3]).d).toBe(0);
    expect(ksStatistic([1, 2, NaN], [10, 20]).d).toBe(1);
    // Kolmogorov distribution: P(K > 1) = 0.27000, and λ = 1.3581 is the 5 % critical value.
    expect(kolmogorovQ(1)).toBeCloseTo(0.2699997, 6);
    expect(kolmogorovQ(1.3581)).toBeCloseTo(0.05, 3);
    // n = m = 4: √(16/8) = 1.414214; λ = (1.414214 + 0.12 + 0.077782) · 0.5 = 0.805998; Q(λ) ≈ 0.53442
    expect(ksPValue(0.5, 4, 4)).toBeCloseTo(0.53442, 4);
    expect(ksPValue(0, 100, 100)).toBe(1);
  });

  it('Jensen–Shannon distance (base 2)', () => {
    // M = (0.75, 0.25): ½·(½ log2(0.5/0.75) + ½ log2(0.5/0.25)) + ½·log2(1/0.75) = 0.311278 → √ = 0.557923
    expect(jensenShannon([0.5, 0.5], [1, 0])).toBeCloseTo(0.557923, 6);
    expect(jensenShannon([1, 0], [0, 1])).toBeCloseTo(1, 12);
    expect(jensenShannon([0.3, 0.7], [0.3, 0.7])).toBe(0);
  });

  it('category counts: reference categories by frequency, new ones after, missing last', () => {
    const c = categoryCounts(['a', 'b', 'b', null], ['c', 'b', 'a', 'a']);
    expect(c.labels).toEqual(['b', 'a', 'c', '(missing)']);
    expect(c.reference).toEqual([2, 1, 0, 1]);
    expect(c.current).toEqual([1, 2, 1, 0]);
  });

  it('a feature equal to its reference does not drift; a shifted one does', () => {
    const ref = Float64Array.from({ length: 1000 }, (_, i) => i);
    const same = numericDrift('x', ref, ref, T);
    expect(same).toMatchObject({ psi: 0, statistic: 0, p_value: 1, drifted: false, psi_level: 'none' });
    const shifted = numericDrift(
      'x',
      ref,
      ref.map((v) => v + 300),
      T,
    );
    expect(shifted.drifted).toBe(true);
    expect(shifted.psi_level).toBe('significant');
    expect(shifted.statistic).toBeCloseTo(0.3, 6);

    const cats = ['a', 'b', 'c', 'a', 'b', 'a'];
    expect(categoricalDrift('k', cats, cats, T)).toMatchObject({ psi: 0, statistic: 0, drifted: false });
    const moved = categoricalDrift('k', cats, ['c', 'c', 'c', 'c', 'b', 'a'], { ...T, use_tests: true });
    expect(moved.drifted).toBe(true);
    expect(moved.reasons).toHaveLength(2);
    expect(moved.reasons[0]).toMatch(/^PSI 1\.\d+ ≥ 0\.2$/);
    expect(moved.reasons[1]).toMatch(/^Jensen–Shannon distance/);
  });

  it('moderate PSI is reported but does not count as drift', () => {
    // 10 bins of 10 %; current moves 5 % of mass from the top bin into the bottom one.
    const ref = Float64Array.from({ length: 1000 }, (_, i) => i);
    const cur = Float64Array.from({ length: 1000 }, (_, i) => (i >= 950 ? i - 950 : i));
    const f = numericDrift('x', ref, cur, T);
    // (0.15 − 0.1) ln 1.5 + (0.05 − 0.1) ln 0.5 = 0.020273 + 0.034657
    expect(f.psi).toBeCloseTo(0.05493, 4);
    expect(f.psi_level).toBe('none');
    const g = numericDrift('x', ref, cur, { ...T, psi_moderate: 0.05 });
    expect(g.psi_level).toBe('moderate');
    expect(g.drifted).toBe(false);
  });
});
