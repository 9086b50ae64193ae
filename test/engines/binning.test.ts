import { describe, expect, it } from 'vitest';
import { binColumn, binMatrix, fitEdges, MISSING_BIN } from '../../pipeline/core/engines/tree/binning.ts';
import { BinningKernel } from '../../pipeline/core/engines/tree/binning-kernel.ts';
import { Rng } from '../../pipeline/core/common/random.ts';

/** A column with every awkward value: negatives, both zeros, infinities, NaN, ties, tiny and huge numbers. */
function awkwardColumn(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const special = [
    0,
    -0,
    Infinity,
    -Infinity,
    NaN,
    Number.MIN_VALUE,
    -Number.MIN_VALUE,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    1,
    -1,
    0.1,
  ];
  return Float64Array.from({ length: n }, () => {
    const u = rng.next();
    if (u < 0.15) return special[rng.int(special.length)];
    if (u < 0.45) return rng.int(20) - 10;
    return (rng.next() - 0.5) * 10 ** (rng.int(12) - 6);
  });
}

/** The binning kernel's radix sort of one column: its non-missing rows in ascending order of value. */
function ascendingOrder(column: Float64Array): Uint32Array {
  const kernel = new BinningKernel(column.length);
  kernel.sort(column);
  return kernel.order().slice();
}

describe('radix ordering and binning', () => {
  it('orders values exactly as a numeric sort does, leaving missing values out', () => {
    for (const seed of [1, 2, 3]) {
      const col = awkwardColumn(5000, seed);
      const order = ascendingOrder(col);
      const sorted = Float64Array.from(col.filter((x) => !Number.isNaN(x))).sort();
      expect(order.length).toBe(sorted.length);
      const got = Float64Array.from(order, (i) => col[i]);
      expect(Buffer.from(got.buffer).equals(Buffer.from(sorted.buffer))).toBe(true);
      // Ties keep row order (a stable sort), so the result is fully determined.
      for (let k = 1; k < order.length; k++)
        if (Object.is(got[k], got[k - 1])) expect(order[k]).toBeGreaterThan(order[k - 1]);
    }
    expect(Array.from(ascendingOrder(new Float64Array([NaN, NaN])))).toEqual([]);
    expect(Array.from(ascendingOrder(Float64Array.of(3, 3, 3)))).toEqual([0, 1, 2]);
  });

  it('gives every row the bucket a binary search over the edges gives it', () => {
    // Neighbouring doubles leave no room for an edge between them, so the edge is the
    // lower value itself and rows sit exactly on it.
    const tight = Float64Array.from({ length: 4000 }, (_, i) => 1 + (i % 3) * Number.EPSILON);
    const cols = [
      awkwardColumn(4000, 7),
      Float64Array.from({ length: 4000 }, (_, i) => i % 7),
      Float64Array.from({ length: 4000 }, (_, i) => Math.sin(i)),
      tight,
    ];
    const binned = binMatrix({
      names: ['a', 'b', 'c', 'd'],
      rows: 4000,
      columns: cols,
      categorical: cols.map(() => false),
    });
    cols.forEach((col, f) => {
      expect(Array.from(binned.edges[f])).toEqual(Array.from(fitEdges(col)));
      expect(Array.from(binned.bins[f])).toEqual(Array.from(binColumn(col, binned.edges[f])));
      col.forEach((x, i) => {
        if (Number.isNaN(x)) expect(binned.bins[f][i]).toBe(MISSING_BIN);
      });
    });
  });

  it('bins columns longer than the edge sample by binary search, as binColumn does', () => {
    // Above 200,000 rows the edges come from a sample and rows are bucketed by the kernel's
    // binary search, 200,000 at a time: the chunk boundaries must not show.
    const n = 450_001;
    const cols = [awkwardColumn(n, 9), Float64Array.from({ length: n }, (_, i) => (i * 7919) % 1000)];
    const binned = binMatrix({ names: ['a', 'b'], rows: n, columns: cols, categorical: [false, false] });
    cols.forEach((col, f) => {
      expect(binned.edges[f].length).toBeGreaterThan(100);
      expect(Buffer.from(binned.bins[f]).equals(Buffer.from(binColumn(col, binned.edges[f])))).toBe(true);
    });
  });
});
