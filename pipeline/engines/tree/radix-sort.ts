/**
 * Ascending order of a column's numbers by least-significant-digit radix sort on their
 * bits: eight passes of one byte over (high word, low word, index) triples, skipping
 * the passes where every value has the same byte (the low bytes of whole numbers, the
 * high bytes of values in one binade). About three times faster than sorting a
 * Float64Array, and it yields the permutation, which binning needs to give each row its
 * bucket in one pass instead of a binary search per value.
 */

/**
 * Indices of the non-missing values of `column`, in ascending order of value (ties in
 * index order; -0 before +0, which compare equal anyway). NaN rows are left out.
 */
export function ascendingOrder(column: Float64Array): Uint32Array {
  const n = column.length;
  // The doubles' bits, little-endian: low word first (as on every platform Node runs on).
  const words = new Uint32Array(column.buffer, column.byteOffset, 2 * n);
  // Keys whose unsigned (hi, lo) order is the numeric order: flip every bit of a
  // negative number, only the sign bit of a positive one.
  let hi = new Uint32Array(n);
  let lo = new Uint32Array(n);
  let idx = new Uint32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const x = column[i];
    if (x !== x) continue;
    const h = words[2 * i + 1];
    const l = words[2 * i];
    const negative = h >>> 31;
    hi[m] = negative ? ~h >>> 0 : (h | 0x80000000) >>> 0;
    lo[m] = negative ? ~l >>> 0 : l;
    idx[m] = i;
    m++;
  }
  // All eight byte histograms in one pass.
  const counts = new Uint32Array(8 * 256);
  for (let i = 0; i < m; i++) {
    const l = lo[i];
    const h = hi[i];
    counts[l & 255]++;
    counts[256 + ((l >>> 8) & 255)]++;
    counts[512 + ((l >>> 16) & 255)]++;
    counts[768 + (l >>> 24)]++;
    counts[1024 + (h & 255)]++;
    counts[1280 + ((h >>> 8) & 255)]++;
    counts[1536 + ((h >>> 16) & 255)]++;
    counts[1792 + (h >>> 24)]++;
  }
  let hi2 = new Uint32Array(m);
  let lo2 = new Uint32Array(m);
  let idx2 = new Uint32Array(m);
  const start = new Uint32Array(256);
  for (let pass = 0; pass < 8; pass++) {
    const base = pass * 256;
    let single = false;
    for (let b = 0; b < 256; b++) {
      if (counts[base + b] === m) single = true;
      if (counts[base + b] !== 0) break;
    }
    if (single || m === 0) continue;
    let sum = 0;
    for (let b = 0; b < 256; b++) {
      start[b] = sum;
      sum += counts[base + b];
    }
    const shift = (pass & 3) * 8;
    const src = pass < 4 ? lo : hi;
    for (let i = 0; i < m; i++) {
      const at = start[(src[i] >>> shift) & 255]++;
      hi2[at] = hi[i];
      lo2[at] = lo[i];
      idx2[at] = idx[i];
    }
    [hi, hi2] = [hi2, hi];
    [lo, lo2] = [lo2, lo];
    [idx, idx2] = [idx2, idx];
  }
  return idx.subarray(0, m);
}
