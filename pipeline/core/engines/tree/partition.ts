/**
 * A node's rows split between its children (the role of `split_indices` in scikit-learn's
 * `splitting.pyx`): each node's rows are a contiguous range of one index array, and a
 * split partitions its range in place, stably, so rows stay in ascending memory order
 * and the left child's rows come first. Two layouts of the rows are partitioned here (the
 * WebAssembly kernel partitions its own: histogram-kernel.ts):
 * - row numbers only, the buckets read from the feature columns (`partitionColumn`);
 * - `PackedRows`: each row's buckets copied side by side, moved along with the row.
 */

/**
 * Stable partition of `rows[start..end)` on the column at `col` of `flat`: rows whose
 * bucket is 1..bin (or 0, missing, when `missingLeft`) first. `spill` holds the others
 * meanwhile. Returns where the right-hand rows start.
 */
export function partitionColumn(
  rows: Uint32Array,
  spill: Uint32Array,
  flat: Uint8Array,
  col: number,
  start: number,
  end: number,
  bin: number,
  missingLeft: boolean,
): number {
  let l = start;
  let s = 0;
  for (let i = start; i < end; i++) {
    const r = rows[i];
    const b = flat[col + r];
    if (b === 0 ? missingLeft : b <= bin) rows[l++] = r;
    else spill[s++] = r;
  }
  rows.set(spill.subarray(0, s), l);
  return l;
}

/**
 * A tree's rows copied in position order: each row's buckets side by side (one cache line
 * instead of one per feature) and its gradient and hessian. On data larger than the
 * processor's caches, reading a row's buckets from separate feature columns costs a
 * memory round trip per feature once a node's rows are sparse; partitioning these copies
 * with the rows keeps every later read sequential.
 */
export class PackedRows {
  /** Row i's bucket of feature f at `bytes[i · stride + f]`. */
  bytes = new Uint8Array(0);
  /** The same bytes as 32-bit words: rows are `stride` bytes (features rounded up to 4) and move a word at a time. */
  private words = new Uint32Array(0);
  private spillWords = new Uint32Array(0);
  stride = 0;
  grad = new Float64Array(0);
  hess = new Float64Array(0);
  private spillGrad = new Float64Array(0);
  private spillHess = new Float64Array(0);

  /** Copies `rows[0..m)`: their buckets from the feature columns in `flat` and their gradients and hessians. */
  pack(
    rows: Uint32Array,
    m: number,
    grad: Float64Array,
    hess: Float64Array,
    flat: Uint8Array,
    colStart: Int32Array,
  ): void {
    const d = colStart.length;
    const stride = (this.stride = 4 * Math.ceil(d / 4));
    if (this.grad.length < m) {
      this.bytes = new Uint8Array(m * stride);
      this.words = new Uint32Array(this.bytes.buffer);
      this.spillWords = new Uint32Array(m * (stride / 4));
      this.grad = new Float64Array(m);
      this.hess = new Float64Array(m);
      this.spillGrad = new Float64Array(m);
      this.spillHess = new Float64Array(m);
    }
    const { bytes, grad: pg, hess: ph } = this;
    for (let f = 0; f < d; f++) {
      const start = colStart[f];
      for (let i = 0, at = f; i < m; i++, at += stride) bytes[at] = flat[start + rows[i]];
    }
    for (let i = 0; i < m; i++) {
      pg[i] = grad[rows[i]];
      ph[i] = hess[rows[i]];
    }
  }

  /**
   * Stable partition of positions [start, end) on feature f, moving the row numbers in
   * `rows` (with `spill` as room for the right-hand ones) along with the copies. Returns
   * where the right-hand rows start.
   */
  partition(
    rows: Uint32Array,
    spill: Uint32Array,
    start: number,
    end: number,
    f: number,
    bin: number,
    missingLeft: boolean,
  ): number {
    const { bytes: pb, words: pw, grad: pg, hess: ph, spillWords: spillW, spillGrad: spillG, spillHess: spillH } = this;
    const d = this.stride;
    const words = d >> 2;
    let l = start;
    let s = 0;
    for (let i = start; i < end; i++) {
      const b = pb[i * d + f];
      const src = i * words;
      if (b === 0 ? missingLeft : b <= bin) {
        if (l !== i) {
          const dst = l * words;
          for (let c = 0; c < words; c++) pw[dst + c] = pw[src + c];
          rows[l] = rows[i];
          pg[l] = pg[i];
          ph[l] = ph[i];
        }
        l++;
      } else {
        const dst = s * words;
        for (let c = 0; c < words; c++) spillW[dst + c] = pw[src + c];
        spill[s] = rows[i];
        spillG[s] = pg[i];
        spillH[s] = ph[i];
        s++;
      }
    }
    rows.set(spill.subarray(0, s), l);
    pw.set(spillW.subarray(0, s * words), l * words);
    pg.set(spillG.subarray(0, s), l);
    ph.set(spillH.subarray(0, s), l);
    return l;
  }
}
