import { afterEach, describe, expect, it } from 'vitest';
import { forestFactory } from '../../pipeline/core/engines/forest.ts';
import { gbdtFactory } from '../../pipeline/core/engines/gbdt.ts';
import { PackedEnsemble } from '../../pipeline/core/engines/tree/packed.ts';
import { parallelScoring } from '../../pipeline/core/engines/tree/parallel-scoring.ts';
import { closeIdleWorkers, prepareWorkers, workerPool } from '../../pipeline/core/engines/tree/worker-pool.ts';
import { fitTrees, synthetic } from './helpers.ts';

const defaults = { ...parallelScoring };
afterEach(() => {
  Object.assign(parallelScoring, { threads: defaults.threads, minWalks: defaults.minWalks, stallMs: defaults.stallMs });
});

/** Scores with helper threads until a helper has really taken part (the first batches may start it). */
async function scoreWithHelpers(
  packed: PackedEnsemble,
  X: Parameters<PackedEnsemble['addScores']>[0],
  base: number,
): Promise<Float64Array> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const out = new Float64Array(X.rows).fill(base);
    packed.addScores(X, out);
    if (parallelScoring.last.byHelpers > 0) return out;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('no helper thread ever scored a block');
}

describe('batch scoring on helper threads', () => {
  const data = synthetic(3000, 21, { missing: 0.2, features: 8 });
  const test = synthetic(6000, 22, { missing: 0.2, features: 8 });

  /** A forest packed for scoring, and its scores of the test rows on the calling thread alone. */
  async function forestScoredOnOneThread(
    nTrees: number,
    seed: number,
  ): Promise<{ packed: PackedEnsemble; serial: Float64Array }> {
    const packed = new PackedEnsemble(await fitTrees(forestFactory, { nTrees }, data, seed));
    parallelScoring.threads = 0;
    const serial = new Float64Array(test.X.rows);
    packed.addScores(test.X, serial);
    return { packed, serial };
  }

  it.each([
    ['forest', forestFactory, { nTrees: 30 }],
    ['gbdt', gbdtFactory, { nRounds: 60, maxDepth: 5 }],
  ] as const)(
    '%s: scores are bit-identical to one thread, and helpers really score blocks',
    async (_, factory, params) => {
      const packed = new PackedEnsemble(await fitTrees(factory, params, data, 8));
      const base = 0.123456789;
      parallelScoring.threads = 0;
      const serial = new Float64Array(test.X.rows).fill(base);
      packed.addScores(test.X, serial);
      parallelScoring.threads = 1;
      parallelScoring.minWalks = 0;
      const parallel = await scoreWithHelpers(packed, test.X, base);
      expect(parallelScoring.last.byHelpers).toBeLessThan(parallelScoring.last.blocks);
      expect(parallelScoring.last.stalled).toBe(false);
      expect(Buffer.from(parallel.buffer).equals(Buffer.from(serial.buffer))).toBe(true);
      // A subrange of trees (boosting's staged scores) goes through the same split.
      const part = new Float64Array(test.X.rows);
      packed.addScores(test.X, part, 5, 20);
      parallelScoring.threads = 0;
      const partSerial = new Float64Array(test.X.rows);
      packed.addScores(test.X, partSerial, 5, 20);
      expect(Array.from(part)).toEqual(Array.from(partSerial));
    },
    30_000,
  );

  it('a helper that claims a block and never finishes it is given up on, and the caller scores that block', async () => {
    const { packed, serial } = await forestScoredOnOneThread(40, 9);

    await closeIdleWorkers();
    const entry = workerPool.entry;
    workerPool.entry = new URL('./fixtures/stalling-worker.ts', import.meta.url);
    try {
      await prepareWorkers();
      parallelScoring.threads = 1;
      parallelScoring.minWalks = 0;
      parallelScoring.stallMs = 300;
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
      expect(parallelScoring.last.stalled).toBe(true);
      expect(parallelScoring.last.byHelpers).toBe(0);
      expect(Array.from(out)).toEqual(Array.from(serial));
    } finally {
      workerPool.entry = entry;
      await closeIdleWorkers();
    }
  }, 30_000);

  it('turns helpers off when a thread cannot start, and keeps scoring correctly on the calling thread', async () => {
    const { packed, serial } = await forestScoredOnOneThread(20, 10);

    await closeIdleWorkers();
    const { entry, bootstrap } = workerPool;
    workerPool.entry = new URL('./no-such-forest-worker.ts', entry);
    workerPool.bootstrap = new URL('./no-such-worker-bootstrap.mjs', bootstrap);
    try {
      await prepareWorkers();
      parallelScoring.threads = 1;
      parallelScoring.minWalks = 0;
      const out = new Float64Array(test.X.rows);
      packed.addScores(test.X, out);
      expect(Array.from(out)).toEqual(Array.from(serial));
      for (let i = 0; i < 100 && parallelScoring.threads > 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(parallelScoring.threads).toBe(0);
    } finally {
      workerPool.entry = entry;
      workerPool.bootstrap = bootstrap;
      await closeIdleWorkers();
    }
  }, 30_000);
});
