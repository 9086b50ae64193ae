import { describe, expect, it } from 'vitest';
import { Rng } from '../../pipeline/core/common/random.ts';
import { binMatrix } from '../../pipeline/core/engines/tree/binning.ts';
import { TreeBuilder, type TreeParams } from '../../pipeline/core/engines/tree/builder.ts';
import { treeToJSON } from '../../pipeline/core/engines/tree/compact.ts';
import { synthetic } from './helpers.ts';

const data = synthetic(3000, 11, { missing: 0.2 });
const binned = binMatrix(data.X);
const n = data.X.rows;
const all = Int32Array.from({ length: data.X.columns.length }, (_, f) => f);
// Integer gradients keep every sum exact, so subtraction and direct builds must agree bit for bit.
const grad = Float64Array.from(data.y, (v, i) => (v === 1 ? -1 - (i % 3) : 0));
const hess = Float64Array.from(data.y, (_, i) => 1 + (i % 3));

describe('histograms', () => {
  it('parent minus one child equals the other child built directly', () => {
    const b = new TreeBuilder(binned);
    const rows = Uint32Array.from({ length: n }, (_, i) => i);
    // Put odd rows first so that the two children are arbitrary interleaved row sets.
    rows.sort((a, c) => (a % 2) - (c % 2) || a - c);
    const cut = Math.ceil(n / 2);
    const parent = new Float64Array(b.histogramLength);
    const left = new Float64Array(b.histogramLength);
    const right = new Float64Array(b.histogramLength);
    b.histogram(rows, 0, n, grad, hess, all, parent);
    b.histogram(rows, 0, cut, grad, hess, all, left);
    b.histogram(rows, cut, n, grad, hess, all, right);
    b.subtract(parent, left, all);
    expect(Array.from(parent)).toEqual(Array.from(right));
    expect(right.some((v) => v !== 0)).toBe(true);
  });

  it('grows the same tree with subtraction as with direct builds', () => {
    const params: TreeParams = {
      maxDepth: 8,
      maxLeaves: 0,
      growth: 'leaf',
      minSamplesLeaf: 5,
      minChildWeight: 0,
      lambda: 0,
      alpha: 0,
      minSplitGain: 0,
      featuresPerSplit: 0,
      shrinkage: 1,
    };
    const grow = (mode: 'direct' | 'subtract'): string => {
      const rows = Uint32Array.from({ length: n }, (_, i) => i);
      const built = new TreeBuilder(binned).build(
        rows,
        n,
        grad,
        hess,
        all,
        { ...params, histograms: mode },
        new Rng(3),
      );
      expect(built.tree.feature.length).toBeGreaterThan(20);
      return JSON.stringify(treeToJSON(built.tree));
    };
    expect(grow('subtract')).toBe(grow('direct'));
  });

  it('grows the same tree, rows and leaf ranges from packed rows as from feature columns', () => {
    const params: TreeParams = {
      maxDepth: 0,
      maxLeaves: 200,
      growth: 'leaf',
      minSamplesLeaf: 3,
      minChildWeight: 0,
      lambda: 0,
      alpha: 0,
      minSplitGain: 0,
      featuresPerSplit: 2,
      shrinkage: 1,
      histograms: 'direct',
    };
    // A bootstrap-like sample: every third row left out, the rest in ascending order.
    const sample = Uint32Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 0);
    const grow = (packRows: 'always' | 'never'): string => {
      const rows = sample.slice();
      const built = new TreeBuilder(binned).build(
        rows,
        rows.length,
        grad,
        hess,
        all,
        { ...params, packRows },
        new Rng(5),
      );
      expect(built.tree.feature.length).toBeGreaterThan(100);
      return JSON.stringify([
        treeToJSON(built.tree),
        Array.from(rows),
        Array.from(built.leafNode),
        Array.from(built.leafStart),
      ]);
    };
    expect(grow('always')).toBe(grow('never'));
  });
});
