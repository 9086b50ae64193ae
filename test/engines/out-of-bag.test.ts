import { describe, expect, it } from 'vitest';
import { binMatrix } from '../../pipeline/core/engines/tree/binning.ts';
import { ForestGrower, OOB_SCALE, type ForestJob } from '../../pipeline/core/engines/tree/forest-trees.ts';
import { leafIndex, synthetic, treeParams } from './helpers.ts';

describe('forest out-of-bag votes', () => {
  it('match scoring the raw rows left out of each tree', () => {
    const n = 3000;
    const data = synthetic(n, 3, { missing: 0.2 });
    const binned = binMatrix(data.X);
    const job: ForestJob = {
      rows: n,
      bins: binned.bins[0].buffer as ArrayBuffer,
      edges: binned.edges,
      y: data.y,
      weight: new Float64Array(n).fill(1),
      seed: 5,
      sampling: 'bootstrap',
      sampleFraction: 0.5,
      tree: treeParams({ maxLeaves: 4096, minSamplesLeaf: 5, featuresPerSplit: 2 }),
    };
    const grower = new ForestGrower(job);
    const sum = new Float64Array(n);
    const count = new Uint32Array(n);
    const before = new Uint32Array(n);
    const row = new Float64Array(data.X.columns.length);
    for (let t = 0; t < 5; t++) {
      before.set(grower.oobCount);
      const tree = grower.grow(t);
      for (let i = 0; i < n; i++) {
        if (grower.oobCount[i] === before[i]) continue;
        for (let f = 0; f < row.length; f++) row[f] = data.X.columns[f][i];
        sum[i] += Math.round(tree.value[leafIndex(tree, row)] * OOB_SCALE);
        count[i]++;
      }
    }
    expect(count.filter((c) => c > 0).length).toBeGreaterThan(2500);
    expect(Array.from(grower.oobSum)).toEqual(Array.from(sum));
    expect(Array.from(grower.oobCount)).toEqual(Array.from(count));
  });
});
