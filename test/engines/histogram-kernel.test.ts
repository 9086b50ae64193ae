import { describe, expect, it } from 'vitest';
import { Rng } from '../../pipeline/random.ts';
import { HistogramKernel } from '../../pipeline/engines/tree/histogram-kernel.ts';

/** The plain JavaScript loop the kernel replaces. */
function reference(flat: Uint8Array, colStart: Int32Array, rows: Uint32Array, start: number, end: number, grad: Float64Array, hess: Float64Array, f: number, base: number, nBins: number, out: Float64Array): void {
  out.fill(0, 3 * base, 3 * (base + nBins));
  for (let i = start; i < end; i++) {
    const at = 3 * (base + flat[colStart[f] + rows[i]]);
    out[at] += grad[rows[i]];
    out[at + 1] += hess[rows[i]];
    out[at + 2] += 1;
  }
}

describe('WebAssembly histogram kernel', () => {
  it('builds the same histograms as the JavaScript loop, bit for bit', () => {
    const rng = new Rng(11);
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
    const kernel = new HistogramKernel(flat, n, d, histLength);
    for (const [start, end, feats] of [[0, n, [0, 1, 2, 3, 4]], [100, 2600, [4, 2]], [7, 7, [1]], [n - 1, n, [0, 3]]] as const) {
      const rows = Uint32Array.from({ length: n }, (_, i) => i);
      rng.shuffle(rows);
      rows.subarray(start, end).sort();
      const got = new Float64Array(histLength).fill(NaN);
      const want = new Float64Array(histLength).fill(NaN);
      const list = Int32Array.from(feats);
      kernel.build(rows, start, end, grad, hess, list, list.length, colStart, offset, nBins, got);
      for (const f of feats) reference(flat, colStart, rows, start, end, grad, hess, f, offset[f], nBins[f], want);
      // Features not asked for are left untouched (still NaN in both).
      expect(Buffer.from(got.buffer)).toEqual(Buffer.from(want.buffer));
      if (end > start) expect(got[3 * offset[feats[0]] + 2] + got[3 * offset[feats[0]] + 5]).toBeGreaterThanOrEqual(0);
    }
  });
});
