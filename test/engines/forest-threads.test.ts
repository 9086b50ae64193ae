/**
 * Forest fits on worker threads: byte-identical to one thread, started from the bundled
 * worker code, falling back to the loader and then to the main thread when threads cannot
 * start, and not started at all when the main thread would finish first. Each test brings
 * its own worker pool, so a broken pool never reaches another test.
 */
import { describe, expect, it } from 'vitest';
import type { FitThreading } from '../../pipeline/core/engines/tree/threads.ts';
import { forestFactory, type ForestEngine } from '../../pipeline/core/engines/forest.ts';
import { FOREST_WORKER, WorkerPool } from '../../pipeline/core/engines/tree/worker-pool.ts';
import { sha256, synthetic } from './helpers.ts';

const data = synthetic(4000, 1, { missing: 0.1 });
const NO_SUCH_ENTRY = new URL('./no-such-forest-worker.ts', FOREST_WORKER.entry);
const NO_SUCH_BOOTSTRAP = new URL('./no-such-worker-bootstrap.mjs', FOREST_WORKER.bootstrap);

async function fit(
  workers: number,
  threading: Partial<FitThreading> = {},
  warnings: string[] = [],
): Promise<{ sha: string; threadTrees: number }> {
  const engine = forestFactory.create({ nTrees: 24, classWeight: 'balanced' }) as ForestEngine;
  await engine.fit(data.X, data.y, { seed: 5, workers, threading, onWarning: (m) => warnings.push(m) });
  return { sha: sha256(engine.toJSON()), threadTrees: engine.threadTrees };
}

/** A fit with every tree grown on threads of `pool` (the main thread only coordinates). */
async function fitOnThreads(pool: WorkerPool, warnings: string[] = []): Promise<{ sha: string; threadTrees: number }> {
  try {
    return await fit(2, { pool, mainThreadGrows: false }, warnings);
  } finally {
    await pool.closeIdle();
  }
}

describe('forest worker threads', () => {
  it('grow byte-identical forests, started from the bundled worker code without the TypeScript loader', async () => {
    const single = await fit(1);
    expect(single.threadTrees).toBe(0);
    const pool = new WorkerPool();
    const threaded = await fitOnThreads(pool);
    expect(threaded).toEqual({ sha: single.sha, threadTrees: 24 });
    expect(pool.lastStart).toBe('bundled');
  }, 30_000);

  it('fall back to the loader when the worker cannot be bundled', async () => {
    const pool = new WorkerPool({ entry: NO_SUCH_ENTRY, bootstrap: FOREST_WORKER.bootstrap });
    expect(await fitOnThreads(pool)).toEqual({ sha: (await fit(1)).sha, threadTrees: 24 });
    expect(pool.lastStart).toBe('loader');
  }, 30_000);

  it('fall back to the main thread with an identical forest and a warning when no thread can start', async () => {
    const warnings: string[] = [];
    const pool = new WorkerPool({ entry: NO_SUCH_ENTRY, bootstrap: NO_SUCH_BOOTSTRAP });
    expect(await fitOnThreads(pool, warnings)).toEqual({ sha: (await fit(1)).sha, threadTrees: 0 });
    expect(warnings.length).toBeGreaterThan(0);
  }, 30_000);

  it('are not started for a forest the main thread alone finishes sooner than a new thread would pay off', async () => {
    const pool = new WorkerPool();
    try {
      expect((await fit(2, { pool, minSecondsCold: 1e9 })).threadTrees).toBe(0);
      expect(pool.lastStart).toBe('none');
    } finally {
      await pool.closeIdle();
    }
  }, 30_000);
});
