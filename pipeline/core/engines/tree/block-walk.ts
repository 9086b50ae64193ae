/**
 * The inner loop of batch scoring, as plain functions over typed arrays so that worker
 * threads can run it on shared memory (see parallel-scoring.ts) exactly as the main
 * thread does (see packed.ts for how the arrays are laid out).
 */

/**
 * Rows scored together. Each tree's nodes are read once per block, so larger blocks
 * spare memory traffic on big forests, while two copies of 256 rows' ranks (Int32) still
 * sit in the second-level cache for typical widths.
 */
export const BLOCK_ROWS = 256;

/** Above any rank a row can have (at most the number of a feature's thresholds + 1). */
export const LEAF_KEY = 0x3fffffff;

/** What a block walk reads; built by PackedEnsemble (packed.ts). */
export interface BlockModel {
  /** First node of each tree. */
  roots: Int32Array;
  /** Depth of each tree (levels a block descends). */
  depth: Int32Array;
  /** Four entries per node: 4 × left child, where the node's feature starts in a block, its key, unused. */
  walk: Int32Array;
  /** Output per node (read at leaves). */
  value: Float64Array;
  /** Every feature's distinct thresholds, ascending, feature after feature. */
  cuts: Float64Array;
  /** Feature f's thresholds are `cuts[cutStart[f] .. cutStart[f + 1])`. */
  cutStart: Int32Array;
}

/** How many of `cuts[from .. to)` (ascending) are below x, plus `from`. */
export function rankBelow(cuts: Float64Array, from: number, to: number, x: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cuts[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Writes the rank of `x` among feature f's thresholds at `buf[i]` (read by splits that
 * send missing values right) and `buf[i + low]` (splits that send them left). A missing
 * value ranks above every threshold in the first copy and below every one in the
 * second, so each split reads the copy that sends it its way and needs no missing test.
 */
export function rankInto(
  cuts: Float64Array,
  cutStart: Int32Array,
  buf: Int32Array,
  i: number,
  low: number,
  f: number,
  x: number,
): void {
  const from = f < cutStart.length - 1 ? cutStart[f] : 0;
  const to = f < cutStart.length - 1 ? cutStart[f + 1] : 0;
  if (x !== x) {
    buf[i] = to - from + 1;
    buf[i + low] = 0;
  } else {
    const rank = rankBelow(cuts, from, to, x) - from;
    buf[i] = rank;
    buf[i + low] = rank;
  }
}

/** Per-thread working memory of `scoreBlock`. */
export interface BlockScratch {
  buf: Int32Array;
  at: Int32Array;
  sum: Float64Array;
}

export function blockScratch(d: number): BlockScratch {
  return {
    buf: new Int32Array(2 * BLOCK_ROWS * Math.max(1, d)),
    at: new Int32Array(BLOCK_ROWS),
    sum: new Float64Array(BLOCK_ROWS),
  };
}

/**
 * Rows [r0, r0 + m) (m ≤ BLOCK_ROWS): `out[r] = start[r]` plus the outputs of trees
 * [from, to), added tree by tree in tree order, so a row's score never depends on how
 * rows were blocked or which thread scored them. `out` may be `start`.
 */
export function scoreBlock(
  model: BlockModel,
  cols: readonly Float64Array[],
  r0: number,
  m: number,
  start: Float64Array,
  out: Float64Array,
  from: number,
  to: number,
  s: BlockScratch,
): void {
  const { roots, depth, walk, value, cuts, cutStart } = model;
  const { buf, at, sum } = s;
  const B = BLOCK_ROWS;
  const d = cols.length;
  const low = B * d;
  for (let f = 0; f < d; f++) {
    const col = cols[f];
    for (let r = 0; r < m; r++) rankInto(cuts, cutStart, buf, f * B + r, low, f, col[r0 + r]);
  }
  for (let r = 0; r < m; r++) sum[r] = start[r0 + r];
  for (let t = from; t < to; t++) {
    at.fill(roots[t] << 2, 0, m);
    for (let level = depth[t]; level > 0; level--) {
      for (let r = 0; r < m; r++) {
        const w = at[r];
        // Right exactly when the row's rank exceeds the split's: the sign bit of the difference.
        at[r] = walk[w] + (((walk[w + 2] - buf[walk[w + 1] + r]) >>> 31) << 2);
      }
    }
    for (let r = 0; r < m; r++) sum[r] += value[at[r] >> 2];
  }
  for (let r = 0; r < m; r++) out[r0 + r] = sum[r];
}

/**
 * A batch shared between threads. `ctl` holds, at NEXT, the next unclaimed block; at
 * DONE, how many blocks are finished; from STATUS on, one entry per block: 0 unclaimed,
 * CLAIMED, or who finished it (BY_MAIN, BY_HELPER).
 */
export interface SharedBatch {
  model: BlockModel;
  /** The batch's columns, one after another (rows values each). */
  columns: Float64Array;
  rows: number;
  /** Rows per claimed block (at most BLOCK_ROWS). */
  chunk: number;
  start: Float64Array;
  out: Float64Array;
  from: number;
  to: number;
  ctl: Int32Array;
}

export const NEXT = 0;
export const DONE = 1;
export const STATUS = 2;
export const CLAIMED = 1;
export const BY_MAIN = 2;
export const BY_HELPER = 3;

export function blockCount(rows: number, chunk = BLOCK_ROWS): number {
  return Math.ceil(rows / chunk);
}

/** Claims and scores blocks until none is left; returns how many this thread scored. */
export function workOnBatch(batch: SharedBatch, by: typeof BY_MAIN | typeof BY_HELPER): number {
  const { rows, ctl, chunk } = batch;
  const nBlocks = blockCount(rows, chunk);
  const d = rows > 0 ? batch.columns.length / rows : 0;
  const cols = Array.from({ length: d }, (_, f) => batch.columns.subarray(f * rows, (f + 1) * rows));
  const scratch = blockScratch(d);
  let scored = 0;
  for (;;) {
    const b = Atomics.add(ctl, NEXT, 1);
    if (b >= nBlocks) return scored;
    Atomics.store(ctl, STATUS + b, CLAIMED);
    const r0 = b * chunk;
    scoreBlock(
      batch.model,
      cols,
      r0,
      Math.min(chunk, rows - r0),
      batch.start,
      batch.out,
      batch.from,
      batch.to,
      scratch,
    );
    Atomics.store(ctl, STATUS + b, by);
    Atomics.add(ctl, DONE, 1);
    Atomics.notify(ctl, DONE);
    scored++;
  }
}
