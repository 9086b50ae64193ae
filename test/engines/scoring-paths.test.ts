import { Session } from 'node:inspector/promises';
import { describe, expect, it } from 'vitest';
import type { FeatureMatrix } from '../../pipeline/core/engines/engine.ts';
import { forestFactory } from '../../pipeline/core/engines/forest.ts';
import { gbdtFactory } from '../../pipeline/core/engines/gbdt.ts';
import { PackedEnsemble } from '../../pipeline/core/engines/tree/packed.ts';
import { fitTrees, leafIndex, synthetic } from './helpers.ts';

/** Rows [from, to) of X as a matrix of their own. */
function slice(X: FeatureMatrix, from: number, to: number): FeatureMatrix {
  return { ...X, rows: to - from, columns: X.columns.map((c) => c.subarray(from, to)) };
}

describe('packed ensemble scoring', () => {
  const data = synthetic(1500, 11, { missing: 0.25, features: 6 });
  const test = synthetic(400, 12, { missing: 0.25, features: 6 });
  // Infinite values and missing values in every column reach both paths too.
  test.X.columns[0][3] = Infinity;
  test.X.columns[2][4] = -Infinity;
  for (const c of test.X.columns) c[5] = NaN;

  it.each([
    ['forest', forestFactory, { nTrees: 25 }],
    ['gbdt', gbdtFactory, { nRounds: 40, maxDepth: 4 }],
  ] as const)(
    '%s: lone rows (the per-row path) score exactly as batches and as a plain walk',
    async (_, factory, params) => {
      const trees = await fitTrees(factory, params, data, 3);
      const packed = new PackedEnsemble(trees);
      // Scores are added onto a start value (boosting's base score), tree by tree.
      const base = -1.2345678901234;
      const batch = new Float64Array(test.X.rows).fill(base);
      packed.addScores(test.X, batch);
      for (let r = 0; r < 40; r++) {
        const one = new Float64Array(1).fill(base);
        packed.addScores(slice(test.X, r, r + 1), one);
        expect(one[0]).toBe(batch[r]);
        // The plain per-tree walk, summed in tree order.
        const row = test.X.columns.map((c) => c[r]);
        let sum = base;
        for (const t of trees) sum += t.value[leafIndex(t, row)];
        expect(one[0]).toBe(sum);
      }
      const three = new Float64Array(3).fill(base);
      packed.addScores(slice(test.X, 2, 5), three);
      expect(Array.from(three)).toEqual(Array.from(batch.subarray(2, 5)));
    },
  );

  it('a lone row is scored without allocating per tree', async () => {
    // V8 kept the running sum of a lone row's walk in a fresh heap number for every tree.
    // Bytes allocated while scoring lone rows, from V8's sampling heap profiler with every
    // object counted, whether or not it was collected since.
    const trees = await fitTrees(forestFactory, { nTrees: 200 }, data, 7);
    const packed = new PackedEnsemble(trees);
    const one = new Float64Array(1);
    const rows = Array.from({ length: 50 }, (_, r) => slice(test.X, r, r + 1));
    const score = (n: number): void => {
      for (let i = 0; i < n; i++) packed.addScores(rows[i % rows.length], one);
    };
    score(20_000); // optimised by now
    const session = new Session();
    session.connect();
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 512,
      includeObjectsCollectedByMinorGC: true,
      includeObjectsCollectedByMajorGC: true,
    });
    const n = 20_000;
    score(n);
    const { profile } = await session.post('HeapProfiler.stopSampling');
    session.disconnect();
    type Node = { selfSize: number; callFrame: { functionName: string }; children: Node[] };
    const bytesIn = (node: Node, fn: string): number =>
      (node.callFrame.functionName === fn ? node.selfSize : 0) + node.children.reduce((a, c) => a + bytesIn(c, fn), 0);
    // 200 trees boxed would be 3,200 bytes per row.
    expect(bytesIn(profile.head as Node, 'rowScore') / n).toBeLessThan(100);
  });

  it('values equal to a split threshold go left, and values a hair above go right, as in a plain walk', async () => {
    const trees = await fitTrees(gbdtFactory, { nRounds: 30, maxDepth: 5 }, data, 5);
    // Rows built from the test rows with one column set to a split threshold, or to the
    // nearest doubles on either side of it: the cases where ranking thresholds could err.
    const d = test.X.columns.length;
    const rows: number[][] = [];
    for (const t of trees.slice(0, 10)) {
      for (let i = 0; i < t.feature.length; i++) {
        if (t.feature[i] < 0) continue;
        const thr = t.threshold[i];
        for (const v of [thr, nextDown(thr), nextUp(thr)]) {
          const row = test.X.columns.map((c) => c[rows.length % test.X.rows]);
          row[t.feature[i]] = v;
          rows.push(row);
        }
      }
    }
    expect(rows.length).toBeGreaterThan(100);
    const X: FeatureMatrix = {
      ...test.X,
      rows: rows.length,
      columns: Array.from({ length: d }, (_, f) => Float64Array.from(rows, (r) => r[f])),
    };
    const batch = new Float64Array(rows.length);
    new PackedEnsemble(trees).addScores(X, batch);
    rows.forEach((row, r) => {
      let sum = 0;
      for (const t of trees) sum += t.value[leafIndex(t, row)];
      expect(batch[r]).toBe(sum);
    });
  });
});

const scratch = new Float64Array(1);
const bits = new BigInt64Array(scratch.buffer);
/** The next double above x (x finite). */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  scratch[0] = x;
  bits[0] += x > 0 ? 1n : -1n;
  return scratch[0];
}
function nextDown(x: number): number {
  return -nextUp(-x);
}
