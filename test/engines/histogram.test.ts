import { describe, expect, it } from 'vitest';
import { Rng } from '../../pipeline/core/common/random.ts';
import { binMatrix, flatBuckets } from '../../pipeline/core/engines/tree/binning.ts';
import { treeToJSON } from '../../pipeline/core/engines/tree/compact.ts';
import { TreeGrower, type TreeParams } from '../../pipeline/core/engines/tree/grower.ts';
import { HistogramKernel } from '../../pipeline/core/engines/tree/histogram-kernel.ts';
import { HistogramSet } from '../../pipeline/core/engines/tree/histogram.ts';
import { allRows, synthetic, treeParams } from './helpers.ts';

const data = synthetic(3000, 11, { missing: 0.2 });
const binned = binMatrix(data.X);
const n = data.X.rows;
const all = Int32Array.from({ length: data.X.columns.length }, (_, f) => f);
// Integer gradients keep every sum exact, so subtraction and direct builds must agree bit for bit.
const grad = Float64Array.from(data.y, (v, i) => (v === 1 ? -1 - (i % 3) : 0));
const hess = Float64Array.from(data.y, (_, i) => 1 + (i % 3));

/** One tree grown on `rows`, serialised with where its rows ended up. */
function grow(rows: Uint32Array, params: TreeParams, seed: number): string {
  const grown = new TreeGrower(binned).grow(rows, rows.length, grad, hess, all, params, new Rng(seed));
  expect(grown.tree.feature.length).toBeGreaterThan(20);
  return JSON.stringify([
    treeToJSON(grown.tree),
    Array.from(rows),
    Array.from(grown.leafNode),
    Array.from(grown.leafStart),
  ]);
}

describe('histograms', () => {
  it('parent minus one child equals the other child built directly', () => {
    const hists = new HistogramSet(binned.edges);
    const [flat, colStart] = flatBuckets(binned);
    const kernel = new HistogramKernel(flat, n, all.length, hists.size);
    const rows = allRows(n);
    // Put odd rows first so that the two children are arbitrary interleaved row sets.
    rows.sort((a, c) => (a % 2) - (c % 2) || a - c);
    const cut = Math.ceil(n / 2);
    const build = (start: number, end: number): Float64Array => {
      const out = new Float64Array(hists.size);
      kernel.load(rows.subarray(start, end), end - start, grad, hess);
      kernel.histogram(0, end - start, all, all.length, colStart, hists.offset, hists.nBins, out);
      return out;
    };
    const parent = build(0, n);
    const right = build(cut, n);
    hists.subtract(parent, build(0, cut), all);
    expect(Array.from(parent)).toEqual(Array.from(right));
    expect(right.some((v) => v !== 0)).toBe(true);
  });

  it('grows the same tree with subtraction as with direct builds', () => {
    const params = treeParams({ maxDepth: 8, minSamplesLeaf: 5 });
    expect(grow(allRows(n), { ...params, histograms: 'subtract' }, 3)).toBe(
      grow(allRows(n), { ...params, histograms: 'direct' }, 3),
    );
  });

  it('grows the same tree, rows and leaf ranges from packed rows as from feature columns', () => {
    const params = treeParams({ maxLeaves: 200, minSamplesLeaf: 3, featuresPerSplit: 2, histograms: 'direct' });
    // A bootstrap-like sample: every third row left out, the rest in ascending order.
    const sample = allRows(n).filter((i) => i % 3 !== 0);
    expect(grow(sample.slice(), { ...params, packRows: 'always' }, 5)).toBe(
      grow(sample.slice(), { ...params, packRows: 'never' }, 5),
    );
  });
});
