/**
 * Gradient/hessian/count histograms of a node's rows, built by the WebAssembly kernel in
 * `wasm/histogram.wat` (2.5× the speed of the same loop in JavaScript, see there).
 *
 * The kernel works on its own memory: the binned columns are copied in once, and each
 * call copies in the node's row numbers and gradients and copies the finished buckets
 * out into the caller's histogram, whose layout is unchanged (feature f's bucket b at
 * `3 (offset[f] + b)`: gradient sum, hessian sum, row count).
 */
import { HISTOGRAM_WASM } from './wasm/histogram.wasm.ts';

let compiled: WebAssembly.Module | null = null;

function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(Buffer.from(HISTOGRAM_WASM, 'base64'));
  return compiled;
}

const PAGE = 65536;
const align8 = (x: number): number => (x + 7) & ~7;

interface Exports {
  histograms(bins: number, rows: number, g: number, h: number, m: number, feats: number, k: number, hist: number): void;
}

export class HistogramKernel {
  private readonly exports: Exports;
  private readonly featsAt: number;
  private readonly rowsAt: number;
  private readonly gAt: number;
  private readonly hAt: number;
  private readonly histAt: number;
  private readonly table: Int32Array;
  private readonly rows: Uint32Array;
  private readonly g: Float64Array;
  private readonly h: Float64Array;
  private readonly hist: Float64Array;

  /**
   * @param flat every feature's buckets back to back (feature f's column starts at `colStart[f]`)
   * @param nRows rows a node can hold at most
   * @param histLength doubles in one histogram
   */
  constructor(flat: Uint8Array, nRows: number, nFeatures: number, histLength: number) {
    this.featsAt = align8(flat.length);
    this.rowsAt = align8(this.featsAt + 12 * nFeatures);
    this.gAt = align8(this.rowsAt + 4 * nRows);
    this.hAt = this.gAt + 8 * nRows;
    this.histAt = this.hAt + 8 * nRows;
    const bytes = this.histAt + 8 * histLength;
    // Sized once: growing the memory would detach the views below.
    const memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
    const instance = new WebAssembly.Instance(kernelModule(), { env: { memory } });
    this.exports = instance.exports as unknown as Exports;
    const buf = memory.buffer;
    new Uint8Array(buf, 0, flat.length).set(flat);
    this.table = new Int32Array(buf, this.featsAt, 3 * nFeatures);
    this.rows = new Uint32Array(buf, this.rowsAt, nRows);
    this.g = new Float64Array(buf, this.gAt, nRows);
    this.h = new Float64Array(buf, this.hAt, nRows);
    this.hist = new Float64Array(buf, this.histAt, histLength);
  }

  /**
   * Overwrites features `feats[0..k)` of `hist` with the histogram of `rows[start..end)`.
   * `offset[f]`, `nBins[f]`: feature f's first bucket and bucket count in a histogram.
   */
  build(
    rows: Uint32Array, start: number, end: number, grad: Float64Array, hess: Float64Array,
    feats: Int32Array, k: number, colStart: Int32Array, offset: Int32Array, nBins: Int32Array, hist: Float64Array,
  ): void {
    const m = end - start;
    this.rows.set(rows.subarray(start, end));
    gather(rows, start, m, grad, hess, this.g, this.h);
    const t = this.table;
    for (let j = 0; j < k; j++) {
      const f = feats[j];
      t[3 * j] = colStart[f];
      t[3 * j + 1] = 24 * offset[f];
      t[3 * j + 2] = 24 * nBins[f];
    }
    this.exports.histograms(0, this.rowsAt, this.gAt, this.hAt, m, this.featsAt, k, this.histAt);
    for (let j = 0; j < k; j++) {
      const a = 3 * offset[feats[j]];
      hist.set(this.hist.subarray(a, a + 3 * nBins[feats[j]]), a);
    }
  }
}

function gather(rows: Uint32Array, start: number, m: number, grad: Float64Array, hess: Float64Array, g: Float64Array, h: Float64Array): void {
  for (let i = 0; i < m; i++) {
    const r = rows[start + i];
    g[i] = grad[r];
    h[i] = hess[r];
  }
}
