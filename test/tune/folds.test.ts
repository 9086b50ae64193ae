import { describe, expect, it } from 'vitest';
import { fitPreprocessor } from '../../pipeline/core/features/preprocess.ts';
import { subset } from '../../pipeline/core/data/dataset.ts';
import { assignFolds, loadTrainingPool, prepareFolds, type TrainingPool } from '../../pipeline/core/tuning/cv.ts';
import { parseSampling } from '../../pipeline/core/tuning/imbalance.ts';
import { creditConfig, ROOT } from './helpers.ts';

const pool = loadTrainingPool(creditConfig(), ROOT);

function positives(y: Uint8Array): number {
  return y.reduce((s, v) => s + v, 0);
}

describe('fold assignment', () => {
  it('keeps the test rows out of the tuning pool', () => {
    const cfg = creditConfig();
    // 60 % + 20 % of the 4,454 rows: the split `train` uses, minus its test part.
    expect(pool.pool.rows).toBeGreaterThan(3500);
    expect(pool.pool.rows).toBeLessThan(3600);
    expect(cfg.split.test).toBeGreaterThan(0);
  });

  it('is stratified: every fold has the pool positive rate, give or take one row', () => {
    const y = pool.pool.y!;
    const k = 5;
    const folds = assignFolds(y, k, 7);
    const total = positives(y);
    for (let f = 0; f < k; f++) {
      let n = 0;
      let p = 0;
      for (let i = 0; i < y.length; i++) {
        if (folds[i] !== f) continue;
        n++;
        p += y[i];
      }
      expect(Math.abs(p - total / k)).toBeLessThanOrEqual(1);
      expect(Math.abs(n - y.length / k)).toBeLessThanOrEqual(2);
    }
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const y = pool.pool.y!;
    expect(Buffer.from(assignFolds(y, 5, 7))).toEqual(Buffer.from(assignFolds(y, 5, 7)));
    expect(Buffer.from(assignFolds(y, 5, 7))).not.toEqual(Buffer.from(assignFolds(y, 5, 8)));
  });

  it('refuses more folds than rows of a class', () => {
    expect(() => assignFolds(Uint8Array.from([1, 0, 0, 0, 0, 0]), 3, 1)).toThrow(/at least 3 rows of each class/);
    expect(() => assignFolds(pool.pool.y!, 1, 1)).toThrow(/--folds/);
  });
});

describe('per-fold preprocessing', () => {
  const opts = { k: 4, seed: 7, encoding: 'linear' as const, sampling: parseSampling('none'), earlyStopping: false };
  const folds = prepareFolds(pool, opts);

  it('partitions the pool: held-out rows of the folds are disjoint and cover every row once', () => {
    const seen = new Uint8Array(pool.pool.rows);
    for (const f of folds) {
      for (const r of f.heldOutRows) seen[r]++;
      const train = new Set(f.trainRows);
      for (const r of f.heldOutRows) expect(train.has(r)).toBe(false);
      expect(f.trainRows.length + f.heldOutRows.length).toBe(pool.pool.rows);
      expect(f.heldOut.X.rows).toBe(f.heldOutRows.length);
    }
    expect(seen.every((c) => c === 1)).toBe(true);
  });

  it("is fitted on the fold's training rows only", () => {
    for (const f of folds) {
      expect(f.prep).toEqual(fitPreprocessor(subset(pool.pool, f.trainRows), pool.schema, 'linear'));
    }
  });

  it('does not change when the held-out rows change (it never sees them)', () => {
    // Poison fold 0's held-out rows: any leak would move medians, means and scales.
    const f0 = folds[0];
    const numeric = new Map([...pool.pool.numeric].map(([k, v]) => [k, Float64Array.from(v)]));
    const categorical = new Map([...pool.pool.categorical].map(([k, v]) => [k, [...v]]));
    for (const r of f0.heldOutRows) {
      for (const v of numeric.values()) v[r] = 1e9;
      for (const v of categorical.values()) v[r] = 'poison';
    }
    const poisoned: TrainingPool = { ...pool, pool: { ...pool.pool, numeric, categorical } };
    const again = prepareFolds(poisoned, opts);
    expect(again[0].prep).toEqual(f0.prep);
    expect(again[0].train.X.columns).toEqual(f0.train.X.columns);
    // The other folds train on the poisoned rows, so theirs must differ: the check can fail.
    expect(again[1].prep).not.toEqual(folds[1].prep);
  });

  it('resamples only the rows the engine fits on; held-out rows keep the real class mix', () => {
    const under = prepareFolds(pool, { ...opts, sampling: parseSampling('undersample:1') });
    for (let f = 0; f < folds.length; f++) {
      const y = under[f].train.y;
      expect(positives(y) * 2).toBe(y.length);
      expect(Buffer.from(under[f].heldOut.y)).toEqual(Buffer.from(folds[f].heldOut.y));
      expect(under[f].prep).toEqual(folds[f].prep);
    }
  });

  it('sets early-stopping rows apart from the fit rows and the held-out rows', () => {
    const es = prepareFolds(pool, { ...opts, encoding: 'tree', earlyStopping: true });
    for (const f of es) {
      expect(f.earlyStopping).toBeDefined();
      expect(f.train.X.rows + f.earlyStopping!.X.rows).toBe(f.trainRows.length);
    }
  });
});
