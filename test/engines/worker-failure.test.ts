import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { forestFactory, forestThreading } from '../../pipeline/core/engines/forest.ts';
import { closeIdleWorkers, workerPool } from '../../pipeline/core/engines/tree/worker-pool.ts';
import { synthetic } from './helpers.ts';

const sha256 = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex');

describe('forest worker threads', () => {
  const data = synthetic(2000, 8);
  const fit = async (workers: number, warnings: string[] = []): Promise<string> => {
    const engine = forestFactory.create({ nTrees: 12 });
    await engine.fit(data.X, data.y, { seed: 4, workers, onWarning: (m) => warnings.push(m) });
    return sha256(engine.toJSON());
  };

  it('start from the bundled worker code, without the TypeScript loader', async () => {
    const single = await fit(1);
    forestThreading.mainThreadGrows = false;
    try {
      expect(await fit(2)).toBe(single);
    } finally {
      forestThreading.mainThreadGrows = true;
    }
    expect(forestThreading.lastThreadTrees).toBe(12);
    expect(workerPool.lastStart).toBe('bundled');
  }, 20_000);

  it('fall back to the loader when the worker cannot be bundled', async () => {
    const single = await fit(1);
    await closeIdleWorkers();
    const entry = workerPool.entry;
    workerPool.entry = new URL('./no-such-forest-worker.ts', entry);
    forestThreading.mainThreadGrows = false;
    try {
      expect(await fit(2)).toBe(single);
    } finally {
      workerPool.entry = entry;
      forestThreading.mainThreadGrows = true;
      await closeIdleWorkers();
    }
    expect(workerPool.lastStart).toBe('loader');
    expect(forestThreading.lastThreadTrees).toBe(12);
  }, 20_000);

  it('fall back to the main thread with an identical forest and a warning when no thread can start', async () => {
    const single = await fit(1);
    await closeIdleWorkers();
    const { entry, bootstrap } = workerPool;
    workerPool.entry = new URL('./no-such-forest-worker.ts', entry);
    workerPool.bootstrap = new URL('./no-such-worker-bootstrap.mjs', bootstrap);
    forestThreading.mainThreadGrows = false;
    const warnings: string[] = [];
    try {
      expect(await fit(2, warnings)).toBe(single);
    } finally {
      workerPool.entry = entry;
      workerPool.bootstrap = bootstrap;
      forestThreading.mainThreadGrows = true;
      await closeIdleWorkers();
    }
    expect(warnings.length).toBeGreaterThan(0);
    expect(forestThreading.lastThreadTrees).toBe(0);
  }, 20_000);

  it('are not started for a forest the main thread alone finishes sooner than a new thread would pay off', async () => {
    await closeIdleWorkers();
    const { minSecondsCold } = forestThreading;
    forestThreading.minSecondsCold = 1e9;
    try {
      await fit(2);
    } finally {
      forestThreading.minSecondsCold = minSecondsCold;
    }
    expect(forestThreading.lastThreadTrees).toBe(0);
  }, 20_000);
});
