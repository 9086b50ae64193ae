/**
 * Gradient/hessian/count histograms (the role of scikit-learn's `histogram.pyx`): one
 * array per node holds every feature's buckets, feature f's bucket b at
 * `STRIDE · (offset[f] + b)`. Here: that layout, the buffers histograms live in while a
 * tree grows, sibling subtraction, and the builds in JavaScript that direct growth uses
 * (over feature columns or packed rows); the WebAssembly kernel builds the rest
 * (histogram-kernel.ts).
 */
import { binCount } from './binning.ts';
import type { PackedRows } from './partition.ts';

/** Histogram entries per bucket: gradient sum, hessian sum, row count. */
export const STRIDE = 3;
/** Memory the retained histograms of one grower may take. */
const POOL_BYTES = 128 * 1024 * 1024;

/** The histogram layout of one binned matrix, and the buffers of one grower. */
export class HistogramSet {
  /** Offset of each feature's buckets in a histogram, in buckets. */
  readonly offset: Int32Array;
  readonly nBins: Int32Array;
  /** Doubles in one histogram (all features). */
  readonly size: number;
  /** Two always-available buffers for histograms that are not kept. */
  readonly scratchA: Float64Array;
  readonly scratchB: Float64Array;
  private readonly free: Float64Array[] = [];
  private poolLeft: number;

  constructor(edges: readonly Float64Array[]) {
    const d = edges.length;
    this.offset = new Int32Array(d);
    this.nBins = new Int32Array(d);
    let total = 0;
    for (let f = 0; f < d; f++) {
      this.offset[f] = total;
      this.nBins[f] = binCount(edges[f]);
      total += this.nBins[f];
    }
    this.size = total * STRIDE;
    this.scratchA = new Float64Array(this.size);
    this.scratchB = new Float64Array(this.size);
    this.poolLeft = Math.max(4, Math.floor(POOL_BYTES / (8 * Math.max(1, this.size))));
  }

  /** A buffer to keep a node's histogram in, or null when the pool's memory is spent. */
  acquire(): Float64Array | null {
    const b = this.free.pop();
    if (b) return b;
    if (this.poolLeft > 0) {
      this.poolLeft--;
      return new Float64Array(this.size);
    }
    return null;
  }

  /** Takes a kept histogram back (scratch buffers are never kept). */
  release(h: Float64Array | null): void {
    if (h && !this.isScratch(h)) this.free.push(h);
  }

  isScratch(h: Float64Array): boolean {
    return h === this.scratchA || h === this.scratchB;
  }

  /** parent -= child over the features: the sibling's histogram without touching its rows. */
  subtract(parent: Float64Array, child: Float64Array, features: Int32Array): void {
    for (let j = 0; j < features.length; j++) {
      const f = features[j];
      const a = this.offset[f] * STRIDE;
      const b = a + this.nBins[f] * STRIDE;
      for (let i = a; i < b; i++) parent[i] -= child[i];
    }
  }
}

/**
 * Adds rows[start..end) to the histograms of k features in one pass over the rows (each
 * row's gradient read once): feature j's buckets are read from `flat` at `starts[j]` and
 * counted at `bases[j]` in `hist`. For large nodes, whose bucket ranges are then scanned
 * and cleaned whole.
 */
export function addRowsToColumns(
  hist: Float64Array,
  flat: Uint8Array,
  rows: Uint32Array,
  start: number,
  end: number,
  grad: Float64Array,
  hess: Float64Array,
  k: number,
  starts: Int32Array,
  bases: Int32Array,
): void {
  for (let i = start; i < end; i++) {
    const r = rows[i];
    const g = grad[r];
    const h = hess[r];
    for (let j = 0; j < k; j++) {
      const at = bases[j] + flat[starts[j] + r] * STRIDE;
      hist[at] += g;
      hist[at + 1] += h;
      hist[at + 2] += 1;
    }
  }
}

/** `og[i]`, `oh[i]` = the gradient and hessian of row `rows[i]`, for positions [start, end). */
export function gatherGradients(
  rows: Uint32Array,
  start: number,
  end: number,
  grad: Float64Array,
  hess: Float64Array,
  og: Float64Array,
  oh: Float64Array,
): void {
  for (let i = start; i < end; i++) {
    const r = rows[i];
    og[i] = grad[r];
    oh[i] = hess[r];
  }
}

/**
 * Adds positions [start, end) to one feature's histogram at `base`, their buckets read
 * from the column at `col` and their gradients from `og`/`oh` (gathered by position).
 * Returns the lowest and highest bucket hit as `lo | hi << 8`, so scanning and cleaning
 * stay proportional to the rows of a small node.
 */
export function addColumn(
  hist: Float64Array,
  base: number,
  flat: Uint8Array,
  col: number,
  rows: Uint32Array,
  start: number,
  end: number,
  og: Float64Array,
  oh: Float64Array,
): number {
  let lo = 255;
  let hi = 0;
  for (let i = start; i < end; i++) {
    const b = flat[col + rows[i]];
    const at = base + b * STRIDE;
    hist[at] += og[i];
    hist[at + 1] += oh[i];
    hist[at + 2] += 1;
    if (b < lo) lo = b;
    if (b > hi) hi = b;
  }
  return lo | (hi << 8);
}

/** `addColumn` over packed rows: feature f of positions [start, end) (same sums in the same order). */
export function addPackedColumn(
  hist: Float64Array,
  base: number,
  packed: PackedRows,
  f: number,
  start: number,
  end: number,
): number {
  const { bytes: pb, grad: pg, hess: ph } = packed;
  const d = packed.stride;
  let lo = 255;
  let hi = 0;
  for (let i = start, at = start * d + f; i < end; i++, at += d) {
    const b = pb[at];
    const h = base + b * STRIDE;
    hist[h] += pg[i];
    hist[h + 1] += ph[i];
    hist[h + 2] += 1;
    if (b < lo) lo = b;
    if (b > hi) hi = b;
  }
  return lo | (hi << 8);
}
