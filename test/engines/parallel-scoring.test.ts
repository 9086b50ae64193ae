import { describe, expect, it } from 'vitest';
import { forestFactory } from '../../pipeline/core/engines/forest.ts';
import { gbdtFactory } from '../../pipeline/core/engines/gbdt.ts';
import type { CompactTree } from '../../pipeline/core/engines/tree/compact.ts';
import { PackedEnsemble } from '../../pipeline/core/engines/tree/packed.ts';
import { ScoringRuntime, type ScoringOptions } from '../../pipeline/core/engines/tree/threads.ts';
import { FOREST_WORKER, WorkerPool, type WorkerCode } from '../../pipeline/core/engines/tree/worker-pool.ts';
import { fitTrees, synthetic } from './helpers.ts';

const data = synthetic(3000, 21, { missing: 0.2, features: 8 });
const test = synthetic(6000, 22, { missing: 0.2, features: 8 });

/** Scores of the test rows on the calling thread alone. */
function serialScores(trees: readonly CompactTree[], base = 0, from?: number, to?: number): Float64Array {
  const out = new Float64Array(test.X.rows).fill(base);
  new PackedEnsemble(trees, new ScoringRuntime({ threads: 0 })).addScores(test.X, out, from, to);
  return out;
}

/** A runtime that hands every batch to one helper from its own pool (closed afterwards). */
async function withHelper<T>(
  code: WorkerCode,
  options: Partial<ScoringOptions>,
  use: (runtime: ScoringRuntime) => Promise<T>,
): Promise<T> {
  const pool = new WorkerPool(code);
  try {
    await pool.prepare();
    return await use(new ScoringRuntime({ threads: 1, minWalks: 0, ...options, pool }));
  } finally {
    await pool.closeIdle();
  }
}

/** Scores with helper threads until a helper has really taken part (the first batches may start it). */
async function scoreWithHelpers(packed: PackedEnsemble, runtime: ScoringRuntime, base: number): Promise<Float64Array> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const out = new Float64Array(test.X.rows).fill(base);
    packed.addScores(test.X, out);
    if (runtime.last.byHelpers > 0) return out;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no helper thread ever scored a block');
}

describe('batch scoring on helper threads', () => {
  it.each([
    ['forest', forestFactory, { nTrees: 30 }],
    ['gbdt', gbdtFactory, { nRounds: 60, maxDepth: 5 }],
  ] as const)(
    '%s: scores are bit-identical to one thread, and helpers really score blocks',
    async (_, factory, params) => {
      const trees = await fitTrees(factory, params, data, 8);
      const base = 0.123456789;
      await withHelper(FOREST_WORKER, {}, async (runtime) => {
        const packed = new PackedEnsemble(trees, runtime);
        const parallel = await scoreWithHelpers(packed, runtime, base);
        expect(runtime.last.byHelpers).toBeLessThan(runtime.last.blocks);
        expect(runtime.last.stalled).toBe(false);
        expect(Buffer.from(parallel.buffer).equals(Buffer.from(serialScores(trees, base).buffer))).toBe(true);
        // A subrange of trees (boosting's staged scores) goes through the same split.
        const part = new Float64Array(test.X.rows);
        packed.addScores(test.X, part, 5, 20);
        expect(Array.from(part)).toEqual(Array.from(serialScores(trees, 0, 5, 20)));
      });
    },
    30_000,
  );

  it('a helper that claims a block and never finishes it is given up on, and the caller scores that block', async () => {
    const trees = await fitTrees(forestFactory, { nTrees: 40 }, data, 9);
    const stalling = {
      entry: new URL('./fixtures/stalling-worker.ts', import.meta.url),
      bootstrap: FOREST_WORKER.bootstrap,
    };
    await withHelper(stalling, { stallMs: 300 }, async (runtime) => {
      const packed = new PackedEnsemble(trees, runtime);
      // The first batch starts the (stalling) thread; once it is up, it claims a block of
      // the next batch and hangs.
      let out = new Float64Array(0);
      for (let attempt = 0; attempt < 100; attempt++) {
        out = new Float64Array(test.X.rows);
        const t0 = performance.now();
        packed.addScores(test.X, out);
        if (performance.now() - t0 >= 300) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(runtime.last.stalled).toBe(true);
      expect(runtime.last.byHelpers).toBe(0);
      expect(Array.from(out)).toEqual(Array.from(serialScores(trees)));
    });
  }, 30_000);

  it('turns helpers off when a thread cannot start, and keeps scoring correctly on the calling thread', async () => {
    const trees = await fitTrees(forestFactory, { nTrees: 20 }, data, 10);
    const broken = {
      entry: new URL('./no-such-forest-worker.ts', FOREST_WORKER.entry),
      bootstrap: new URL('./no-such-worker-bootstrap.mjs', FOREST_WORKER.bootstrap),
    };
    await withHelper(broken, {}, async (runtime) => {
      const out = new Float64Array(test.X.rows);
      new PackedEnsemble(trees, runtime).addScores(test.X, out);
      expect(Array.from(out)).toEqual(Array.from(serialScores(trees)));
      for (let i = 0; i < 100 && !runtime.helpersFailed; i++) await new Promise((r) => setTimeout(r, 20));
      expect(runtime.helpersFailed).toBe(true);
      expect(runtime.helpersFor(test.X.rows, trees.length)).toBe(0);
    });
  }, 30_000);
});
