import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { forestFactory, forestThreading } from '../../pipeline/engines/forest.ts';
import { workerPool } from '../../pipeline/engines/tree/worker-pool.ts';
import { synthetic } from './helpers.ts';

const sha256 = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex');

describe('forest worker failure', () => {
  it('falls back to the main thread with an identical forest and a warning', async () => {
    const data = synthetic(2000, 8);
    const fit = async (workers: number, warnings: string[]): Promise<string> => {
      const engine = forestFactory.create({ nTrees: 12 });
      await engine.fit(data.X, data.y, { seed: 4, workers, onWarning: (m) => warnings.push(m) });
      return sha256(engine.toJSON());
    };
    const single = await fit(1, []);
    const original = workerPool.bootstrap;
    workerPool.bootstrap = new URL('./no-such-worker-bootstrap.mjs', original);
    forestThreading.mainThreadGrows = false;
    const warnings: string[] = [];
    try {
      expect(await fit(2, warnings)).toBe(single);
    } finally {
      workerPool.bootstrap = original;
      forestThreading.mainThreadGrows = true;
    }
    expect(warnings.length).toBeGreaterThan(0);
    expect(forestThreading.lastThreadTrees).toBe(0);
  }, 20_000);
});
