/**
 * Quantile binning: every feature is reduced once to at most 255 one-byte buckets so
 * that split search works on small histograms instead of sorted raw values. Bucket
 * edges stay in raw units, which lets finished trees store raw thresholds and score
 * raw rows without the binner.
 */
import { Rng } from '../../common/random.ts';
import type { FeatureMatrix } from '../engine.ts';
import { BinningKernel } from './binning-kernel.ts';

/** Bin 0 always holds the missing values (NaN), so every split can route them either way. */
export const MISSING_BIN = 0;
/** Largest number of buckets per feature, the missing bucket included (fits a byte). */
const MAX_BINS = 255;
/** Edges are estimated on at most this many rows; quantiles barely move beyond it. */
const EDGE_SAMPLE_ROWS = 200_000;

export interface BinnedMatrix {
  rows: number;
  /** Per feature: bucket per row. 0 = missing; b ≥ 1 holds x with edges[b-2] < x ≤ edges[b-1]. */
  bins: Uint8Array[];
  /** Per feature: strictly increasing raw upper edges of the value buckets; the last bucket is unbounded. */
  edges: Float64Array[];
}

/** Buckets per feature, the missing bucket included. */
export function binCount(edges: Float64Array): number {
  return edges.length + 2;
}

/**
 * Raw edges for one column: one bucket per distinct value when they fit, else cut
 * points at evenly spaced quantiles. Each edge sits between two observed values so
 * that unseen values in between fall on a sensible side.
 */
export function fitEdges(
  column: Float64Array,
  maxBins = MAX_BINS,
  sampleRows = EDGE_SAMPLE_ROWS,
  kernel?: BinningKernel,
): Float64Array {
  const sample = sampleValues(column, sampleRows);
  const k = kernel && kernel.capacity >= sample.length ? kernel : new BinningKernel(sample.length);
  k.sort(sample);
  return edgesOfSorted(k.sortedValues(), maxBins);
}

/** Edges (as `fitEdges`) from a column's non-missing values in ascending order. */
function edgesOfSorted(sorted: Float64Array, maxBins: number): Float64Array {
  const valueBins = Math.max(1, maxBins - 1);
  const m = sorted.length;
  if (m === 0) return new Float64Array(0);
  // Loops in helpers of their own, typed arrays sized up front: a fit runs once per process,
  // so this runs cold, and a loop inside a larger function is compiled and thrown away again.
  const distinct = countDistinct(sorted);
  const out = new Float64Array(Math.max(distinct, valueBins));
  const k = distinct <= valueBins ? distinctEdges(sorted, out) : quantileEdges(sorted, valueBins, out);
  return out.slice(0, k);
}

function countDistinct(sorted: Float64Array): number {
  let k = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) k++;
  return k;
}

/** One edge between each pair of neighbouring distinct values; returns how many. */
function distinctEdges(sorted: Float64Array, out: Float64Array): number {
  let k = 0;
  for (let i = 1; i < sorted.length; i++) if (sorted[i] !== sorted[i - 1]) out[k++] = between(sorted[i - 1], sorted[i]);
  return k;
}

/** Edges at evenly spaced quantiles, each just above its quantile's value; returns how many. */
function quantileEdges(sorted: Float64Array, valueBins: number, out: Float64Array): number {
  const m = sorted.length;
  let k = 0;
  let last = -Infinity;
  for (let j = 1; j < valueBins; j++) {
    const v = sorted[Math.floor((j * m) / valueBins) - 1];
    if (v <= last) continue;
    const next = upperNeighbour(sorted, v);
    if (next === undefined) break;
    out[k++] = between(v, next);
    last = v;
  }
  return k;
}

/** Bucket of one raw value under the given edges. */
function binOf(x: number, edges: Float64Array): number {
  if (x !== x) return MISSING_BIN;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= edges[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo + 1;
}

export function binColumn(
  column: Float64Array,
  edges: Float64Array,
  out: Uint8Array<ArrayBufferLike> = new Uint8Array(column.length),
): Uint8Array<ArrayBufferLike> {
  for (let i = 0; i < column.length; i++) out[i] = binOf(column[i], edges);
  return out;
}

/**
 * Bins every column of a training matrix. When `shared` is set the buckets live in one
 * SharedArrayBuffer so worker threads can read them without a copy.
 */
export function binMatrix(X: FeatureMatrix, opts: { maxBins?: number; shared?: boolean } = {}): BinnedMatrix {
  const n = X.rows;
  const d = X.columns.length;
  const buffer = opts.shared ? new SharedArrayBuffer(Math.max(1, n * d)) : new ArrayBuffer(Math.max(1, n * d));
  const bins: Uint8Array[] = [];
  const edges: Float64Array[] = [];
  // One kernel for every column: the whole column when it fits the edge sample, else the sample.
  const kernel = new BinningKernel(Math.min(n, EDGE_SAMPLE_ROWS));
  for (let f = 0; f < d; f++) {
    const column = X.columns[f];
    const out = new Uint8Array(buffer, f * n, n);
    if (n <= EDGE_SAMPLE_ROWS) {
      // Every row is in the sample: one sort gives the edges and, walked in order, each
      // row's bucket.
      kernel.sort(column);
      const e = edgesOfSorted(kernel.sortedValues(), opts.maxBins ?? MAX_BINS);
      kernel.bucket(e, out);
      edges.push(e);
    } else {
      const e = fitEdges(column, opts.maxBins ?? MAX_BINS, EDGE_SAMPLE_ROWS, kernel);
      kernel.bucketBySearch(column, e, out);
      edges.push(e);
    }
    bins.push(out);
  }
  return { rows: n, bins, edges };
}

/**
 * The buckets as one array plus each feature's start in it: the matrix's own buffer when
 * its columns already lie there back to back (as `binMatrix` lays them out), else a copy.
 * One typed array serves every feature in the hot loops of growing and walking trees.
 */
export function flatBuckets(data: BinnedMatrix): [Uint8Array, Int32Array] {
  const d = data.bins.length;
  const start = new Int32Array(d);
  const first = data.bins[0];
  if (first && data.bins.every((c) => c.buffer === first.buffer)) {
    const flat = new Uint8Array(first.buffer, 0, first.buffer.byteLength);
    for (let f = 0; f < d; f++) start[f] = data.bins[f].byteOffset;
    return [flat, start];
  }
  const flat = new Uint8Array(Math.max(1, d * data.rows));
  for (let f = 0; f < d; f++) {
    start[f] = f * data.rows;
    flat.set(data.bins[f], start[f]);
  }
  return [flat, start];
}

function sampleValues(column: Float64Array, sampleRows: number): Float64Array {
  const n = column.length;
  const out = new Float64Array(Math.min(n, sampleRows));
  let k = 0;
  if (n <= sampleRows) {
    for (let i = 0; i < n; i++) if (column[i] === column[i]) out[k++] = column[i];
  } else {
    // A fixed seed keeps edges reproducible; random rows avoid bias from sorted files.
    // Row i of the sample is column[rng.int(n)], drawn in bulk: the same rows.
    const rng = new Rng(0x5eed);
    const draws = new Uint32Array(sampleRows);
    rng.fillU32(draws, sampleRows);
    for (let i = 0; i < sampleRows; i++) {
      const v = column[Math.floor((draws[i] / 4294967296) * n)];
      if (v === v) out[k++] = v;
    }
  }
  return out.subarray(0, k);
}

function upperNeighbour(sorted: Float64Array, v: number): number | undefined {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length ? sorted[lo] : undefined;
}

/** A short decimal strictly between lo and hi (so stored models stay small), else lo itself. */
function between(lo: number, hi: number): number {
  const mid = lo + (hi - lo) / 2;
  const short = Number(mid.toPrecision(12));
  return short >= lo && short < hi ? short : lo;
}
