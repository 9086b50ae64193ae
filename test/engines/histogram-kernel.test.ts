import { describe, expect, it } from 'vitest';
import { Rng } from '../../pipeline/core/common/random.ts';
import { HistogramKernel } from '../../pipeline/core/engines/tree/histogram-kernel.ts';

/** The plain JavaScript loop the histogram kernel replaces. */
function reference(
  flat: Uint8Array,
  colStart: Int32Array,
  rows: Uint32Array,
  start: number,
  end: number,
  grad: Float64Array,
  hess: Float64Array,
  f: number,
  base: number,
  nBins: number,
  out: Float64Array,
): void {
  out.fill(0, 3 * base, 3 * (base + nBins));
  for (let i = start; i < end; i++) {
    const at = 3 * (base + flat[colStart[f] + rows[i]]);
    out[at] += grad[rows[i]];
    out[at + 1] += hess[rows[i]];
    out[at + 2] += 1;
  }
}

function fixture(seed: number) {
  const rng = new Rng(seed);
  const n = 5000;
  const nBins = Int32Array.from([255, 3, 40, 2, 255]);
  const d = nBins.length;
  const offset = new Int32Array(d);
  for (let f = 1; f < d; f++) offset[f] = offset[f - 1] + nBins[f - 1];
  const histLength = 3 * (offset[d - 1] + nBins[d - 1]);
  const flat = new Uint8Array(n * d);
  const colStart = Int32Array.from({ length: d }, (_, f) => f * n);
  for (let f = 0; f < d; f++) for (let i = 0; i < n; i++) flat[f * n + i] = rng.int(nBins[f]);
  // Gradients of every magnitude, so a different summation order would show.
  const grad = Float64Array.from({ length: n }, () => (rng.next() - 0.5) * 10 ** (rng.int(12) - 6));
  const hess = Float64Array.from({ length: n }, () => rng.next() * 10 ** (rng.int(8) - 4));
  const rows = Uint32Array.from({ length: n }, (_, i) => i);
  rng.shuffle(rows);
  return {
    rng,
    n,
    d,
    nBins,
    offset,
    histLength,
    flat,
    colStart,
    grad,
    hess,
    rows,
    kernel: new HistogramKernel(flat, n, d, histLength),
  };
}

describe('WebAssembly tree-builder kernels', () => {
  it('build the same histograms as the JavaScript loop, bit for bit', () => {
    const { n, nBins, offset, histLength, flat, colStart, grad, hess, rows, kernel } = fixture(11);
    const m = 4000;
    kernel.load(rows, m, grad, hess);
    for (const [start, end, feats] of [
      [0, m, [0, 1, 2, 3, 4]],
      [100, 2600, [4, 2]],
      [7, 7, [1]],
      [m - 1, m, [0, 3]],
    ] as const) {
      const got = new Float64Array(histLength).fill(NaN);
      const want = new Float64Array(histLength).fill(NaN);
      const list = Int32Array.from(feats);
      kernel.histogram(start, end, list, list.length, colStart, offset, nBins, got);
      for (const f of feats) reference(flat, colStart, rows, start, end, grad, hess, f, offset[f], nBins[f], want);
      // Features not asked for are left untouched (still NaN in both).
      expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
    }
    expect(n).toBeGreaterThan(m);
  });

  it('partition rows stably, moving their gradients with them', () => {
    const { nBins, offset, histLength, flat, colStart, grad, hess, rows, kernel } = fixture(12);
    const m = 3000;
    kernel.load(rows, m, grad, hess);
    const js = Array.from(rows.subarray(0, m));
    // Split positions [200, 2800) on feature 2 at bucket 17 with missing values left, then
    // its right part on feature 1 at bucket 1 with missing values right.
    const split = (start: number, end: number, f: number, bin: number, ml: boolean): number => {
      const goesLeft = (r: number): boolean => {
        const b = flat[colStart[f] + r];
        return b === 0 ? ml : b <= bin;
      };
      const part = js.slice(start, end);
      const left = part.filter(goesLeft);
      const ordered = left.concat(part.filter((r) => !goesLeft(r)));
      for (let k = 0; k < ordered.length; k++) js[start + k] = ordered[k];
      return start + left.length;
    };
    const l1 = kernel.partition(200, 2800, colStart[2], 17, true);
    expect(l1).toBe(split(200, 2800, 2, 17, true));
    const l2 = kernel.partition(l1, 2800, colStart[1], 1, false);
    expect(l2).toBe(split(l1, 2800, 1, 1, false));
    expect(l1).toBeGreaterThan(200);
    expect(l2).toBeGreaterThan(l1);
    const out = new Uint32Array(m);
    kernel.store(out, m);
    expect(Array.from(out)).toEqual(js);
    // Gradients moved with their rows: a histogram over the reordered positions sums each row's own.
    const got = new Float64Array(histLength);
    const want = new Float64Array(histLength);
    const all = Int32Array.from([0, 1, 2, 3, 4]);
    kernel.histogram(l1, l2, all, 5, colStart, offset, nBins, got);
    for (let f = 0; f < 5; f++) reference(flat, colStart, out, l1, l2, grad, hess, f, offset[f], nBins[f], want);
    expect(Buffer.from(got.buffer).equals(Buffer.from(want.buffer))).toBe(true);
  });
});
