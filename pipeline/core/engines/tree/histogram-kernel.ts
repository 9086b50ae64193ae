/**
 * The tree grower's WebAssembly kernels (`wasm/histogram.wat`): gradient/hessian/count
 * histograms of a node's rows (where boosting spends most of its time; why WebAssembly,
 * see there) and the stable partition of a node's rows at a split.
 *
 * The kernels work on their own memory. The binned columns are copied in once. A tree's
 * rows are loaded once (`load`): their row numbers, and their gradients and hessians in
 * the same order, which partitions then move along with them, so histograms read all
 * three in sequence. `store` hands the reordered row numbers back. Histograms are copied
 * out into the caller's, whose layout is unchanged (feature f's bucket b at
 * `3 (offset[f] + b)`: gradient sum, hessian sum, row count).
 */
import { gatherGradients } from './histogram.ts';
import { HISTOGRAM_WASM } from './wasm/histogram.wasm.ts';
import { kernel, Layout } from '../wasm/instance.ts';

interface Exports {
  histograms(bins: number, rows: number, g: number, h: number, m: number, feats: number, k: number, hist: number): void;
  partition(
    bins: number,
    rows: number,
    g: number,
    h: number,
    start: number,
    end: number,
    col: number,
    t: number,
    ml: number,
    sr: number,
    sg: number,
    sh: number,
  ): number;
}

const instantiate = kernel<Exports>(HISTOGRAM_WASM);

export class HistogramKernel {
  private readonly x: Exports;
  private readonly at: {
    feats: number;
    rows: number;
    g: number;
    h: number;
    sr: number;
    sg: number;
    sh: number;
    hist: number;
  };
  private readonly table: Int32Array;
  private readonly rows: Uint32Array;
  private readonly g: Float64Array;
  private readonly h: Float64Array;
  private readonly hist: Float64Array;

  /**
   * @param flat every feature's buckets back to back (feature f's column starts at `colStart[f]`)
   * @param nRows rows a tree can hold at most
   * @param histLength doubles in one histogram
   */
  constructor(flat: Uint8Array, nRows: number, nFeatures: number, histLength: number) {
    const layout = new Layout();
    layout.take(flat.length);
    const n = Math.max(1, nRows);
    const take = (bytes: number): number => layout.take(bytes);
    this.at = {
      feats: take(12 * nFeatures),
      rows: take(4 * n),
      g: take(8 * n),
      h: take(8 * n),
      sr: take(4 * n),
      sg: take(8 * n),
      sh: take(8 * n),
      hist: take(8 * histLength),
    };
    const { exports, buffer: buf } = instantiate(layout);
    this.x = exports;
    new Uint8Array(buf, 0, flat.length).set(flat);
    this.table = new Int32Array(buf, this.at.feats, 3 * nFeatures);
    this.rows = new Uint32Array(buf, this.at.rows, n);
    this.g = new Float64Array(buf, this.at.g, n);
    this.h = new Float64Array(buf, this.at.h, n);
    this.hist = new Float64Array(buf, this.at.hist, histLength);
  }

  /** Loads a tree's rows `rows[0..m)` with their gradients and hessians (indexed by row number). */
  load(rows: Uint32Array, m: number, grad: Float64Array, hess: Float64Array): void {
    this.rows.set(rows.subarray(0, m));
    gatherGradients(rows, 0, m, grad, hess, this.g, this.h);
  }

  /** Copies the loaded rows, as partitions left them, back into `rows[0..m)`. */
  store(rows: Uint32Array, m: number): void {
    rows.set(this.rows.subarray(0, m));
  }

  /**
   * Overwrites features `feats[0..k)` of `hist` with the histogram of loaded positions
   * [start, end). `offset[f]`, `nBins[f]`: feature f's first bucket and bucket count.
   */
  histogram(
    start: number,
    end: number,
    feats: Int32Array,
    k: number,
    colStart: Int32Array,
    offset: Int32Array,
    nBins: Int32Array,
    hist: Float64Array,
  ): void {
    const t = this.table;
    for (let j = 0; j < k; j++) {
      const f = feats[j];
      t[3 * j] = colStart[f];
      t[3 * j + 1] = 24 * offset[f];
      t[3 * j + 2] = 24 * nBins[f];
    }
    const a = this.at;
    this.x.histograms(0, a.rows + 4 * start, a.g + 8 * start, a.h + 8 * start, end - start, a.feats, k, a.hist);
    for (let j = 0; j < k; j++) {
      const from = 3 * offset[feats[j]];
      hist.set(this.hist.subarray(from, from + 3 * nBins[feats[j]]), from);
    }
  }

  /**
   * Stable partition of loaded positions [start, end) on a split: rows whose bucket in the
   * column at `col` is 1..bin (or 0, missing, when `missingLeft`) first. Returns where the
   * others start.
   */
  partition(start: number, end: number, col: number, bin: number, missingLeft: boolean): number {
    const a = this.at;
    return this.x.partition(0, a.rows, a.g, a.h, start, end, col, bin, missingLeft ? 1 : 0, a.sr, a.sg, a.sh);
  }
}
