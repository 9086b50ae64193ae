/**
 * Medians of large numeric columns without sorting them. Sorting a million values
 * through a comparator is what made schema inference and preprocessing slow; the median
 * only needs the one or two middle order statistics, which selection finds in linear
 * time. The value is the one a sorted copy gives: `s[lo] + (s[hi] - s[lo]) * (pos - lo)`
 * with `pos = (n - 1) / 2` — the same order statistics, so the same number.
 */

/** The values that are not NaN, copied into a new array (the caller's column is never reordered). */
export function observedValues(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isNaN(v)) out[k++] = v;
  }
  return out;
}

/**
 * The median of values holding no NaN (null when there are none), interpolated between the
 * two middle values for an even count. Reorders `values` in place.
 */
export function medianInPlace(values: Float64Array): number | null {
  const n = values.length;
  if (n === 0) return null;
  const pos = (n - 1) / 2;
  const lo = Math.floor(pos);
  return interpolatedAt(values, lo, pos - lo);
}

/**
 * s[k] + (s[k + 1] − s[k]) · frac for s the sorted `values` (only s[k] when frac is 0),
 * selecting s[k] in place: everything after position k is then ≥ it, so s[k + 1] is their minimum.
 */
function interpolatedAt(values: Float64Array, k: number, frac: number): number {
  const a = select(values, k);
  let b = a;
  if (frac > 0) {
    b = values[k + 1];
    for (let i = k + 2; i < values.length; i++) if (values[i] < b) b = values[i];
  }
  return a + (b - a) * frac;
}

/** Values drawn from a column to bracket its median; below twice this many values, the column is copied whole. */
const SAMPLE = 4096;
/** How far either side of the sample's middle the bracket reaches: four standard deviations of its rank. */
const REACH = 128;

/**
 * The median of a column's values that are not NaN (null when there are none), as
 * medianInPlace(observedValues(values)) gives it, without copying the column: a sample
 * brackets the middle, one pass counts the values below the bracket and the values inside,
 * and a second copies only those inside, where selection finds the middle order statistics.
 * When the bracket misses them (a sample unlike the column), the whole column is copied.
 * The column is never reordered.
 */
export function medianOf(values: Float64Array): number | null {
  const len = values.length;
  if (len < 2 * SAMPLE) return medianInPlace(observedValues(values));
  const sample = new Float64Array(SAMPLE);
  let m = 0;
  for (let j = 0; j < SAMPLE; j++) {
    const v = values[Math.floor((j * len) / SAMPLE)];
    if (!Number.isNaN(v)) sample[m++] = v;
  }
  if (m < SAMPLE / 2) return medianInPlace(observedValues(values));
  const sorted = sample.subarray(0, m).sort();
  const low = sorted[Math.max(0, (m >> 1) - REACH)];
  const high = sorted[Math.min(m - 1, (m >> 1) + REACH)];
  let missing = 0;
  let below = 0;
  let inside = 0;
  // Counted without branches (a comparison's 0 or 1): random data would mispredict one per value. NaN is neither below nor inside.
  for (let i = 0; i < len; i++) {
    const v = values[i];
    below += +(v < low);
    inside += +(v >= low) & +(v <= high);
    missing += +Number.isNaN(v);
  }
  const pos = (len - missing - 1) / 2;
  const lo = Math.floor(pos);
  const hi = lo < pos ? lo + 1 : lo;
  if (lo < below || hi >= below + inside) return medianInPlace(observedValues(values));
  // Sorted, the column is: the values below the bracket, those inside, those above; ranks lo and hi fall inside.
  if (low === high) return low + (high - low) * (pos - lo);
  // One spare slot: every value is written, and kept (k advances) only when inside.
  const spare = new Float64Array(inside + 1);
  let k = 0;
  for (let i = 0; i < len; i++) {
    const v = values[i];
    spare[k] = v;
    k += +(v >= low) & +(v <= high);
  }
  return interpolatedAt(spare.subarray(0, inside), lo - below, pos - lo);
}

/**
 * Rearranges `a` so that a[k] is the value a full sort would put there, everything before
 * it ≤ and everything after it ≥ (Hoare's selection with a median-of-three pivot).
 */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const mid = (left + right) >>> 1;
    // Median of three as the pivot keeps sorted and reversed columns linear.
    if (a[mid] < a[left]) swap(a, mid, left);
    if (a[right] < a[left]) swap(a, right, left);
    if (a[right] < a[mid]) swap(a, right, mid);
    const pivot = a[mid];
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}
