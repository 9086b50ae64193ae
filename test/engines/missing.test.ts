import { describe, expect, it } from 'vitest';
import { Rng } from '../../pipeline/core/common/random.ts';
import type { FeatureMatrix } from '../../pipeline/core/engines/engine.ts';
import { forestFactory } from '../../pipeline/core/engines/forest.ts';
import { gbdtFactory } from '../../pipeline/core/engines/gbdt.ts';
import { binMatrix } from '../../pipeline/core/engines/tree/binning.ts';
import { BinnedWalk } from '../../pipeline/core/engines/tree/binned-walk.ts';
import { TreeGrower } from '../../pipeline/core/engines/tree/grower.ts';
import { allRows, leafIndex, rocAuc, synthetic, treeParams } from './helpers.ts';

/** x0 is missing mostly for positives; present values carry no signal. */
function missingSignal(rows: number, seed: number): { X: FeatureMatrix; y: Uint8Array } {
  const rng = new Rng(seed);
  const x0 = new Float64Array(rows);
  const x1 = new Float64Array(rows);
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    y[i] = rng.next() < 0.3 ? 1 : 0;
    x0[i] = rng.next() < (y[i] ? 0.85 : 0.05) ? NaN : Math.round(rng.next() * 100);
    x1[i] = rng.next();
  }
  return { X: { names: ['x0', 'x1'], rows, columns: [x0, x1], categorical: [false, false] }, y };
}

describe('missing values', () => {
  it('send each training row to the same leaf from buckets and from raw values', () => {
    const data = synthetic(2000, 5, { missing: 0.3, features: 5 });
    const binned = binMatrix(data.X);
    const n = data.X.rows;
    const d = data.X.columns.length;
    const grad = Float64Array.from(data.y, (v) => 0.3 - v);
    const hess = new Float64Array(n).fill(0.21);
    const rows = allRows(n);
    const features = Int32Array.from({ length: d }, (_, f) => f);
    const params = treeParams({ maxDepth: 10, growth: 'depth', minSamplesLeaf: 3, lambda: 1 });
    const grown = new TreeGrower(binned).grow(rows, n, grad, hess, features, params, new Rng(1));
    const ml = grown.tree.missingLeft;
    const splitsOnMissing = Array.from(grown.tree.feature).filter((f, i) => f === 1 && ml[i] === 1).length;
    expect(splitsOnMissing).toBeGreaterThan(0);
    const walk = new BinnedWalk(binned).load(grown.tree, grown.binThreshold);
    const row = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let f = 0; f < d; f++) row[f] = data.X.columns[f][i];
      expect(leafIndex(grown.tree, row)).toBe(walk.leaf(i));
    }
    // The leaves' row ranges cover the rows once, and each row sits in the leaf it walks to.
    const { leafNode, leafStart } = grown;
    expect(leafStart[0]).toBe(0);
    expect(leafStart[leafNode.length]).toBe(n);
    expect(leafNode.length).toBe(Array.from(grown.tree.feature).filter((f) => f < 0).length);
    for (let j = 0; j < leafNode.length; j++) {
      expect(leafStart[j + 1]).toBeGreaterThan(leafStart[j]);
      for (let i = leafStart[j]; i < leafStart[j + 1]; i++) expect(walk.leaf(rows[i])).toBe(leafNode[j]);
    }
  });

  for (const factory of [forestFactory, gbdtFactory]) {
    it(`${factory.name} learns that missingness predicts the label`, async () => {
      const train = missingSignal(3000, 1);
      const test = missingSignal(1000, 2);
      const engine = factory.create({});
      await engine.fit(train.X, train.y, { seed: 7, workers: 1 });
      const p = engine.predictProba(test.X);
      expect(rocAuc(test.y, p)).toBeGreaterThan(0.85);
      let nanMean = 0;
      let nanRows = 0;
      let valueMean = 0;
      for (let i = 0; i < test.X.rows; i++) {
        if (Number.isNaN(test.X.columns[0][i])) {
          nanMean += p[i];
          nanRows++;
        } else valueMean += p[i];
      }
      expect(nanMean / nanRows).toBeGreaterThan(0.7);
      expect(valueMean / (test.X.rows - nanRows)).toBeLessThan(0.15);
    });
  }
});
