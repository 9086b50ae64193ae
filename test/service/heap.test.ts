import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { defaultOptions, optionsFromEnv } from '../../service/config.ts';
import { applyHeapPolicy, heapGrowthFlag } from '../../service/runtime/heap.ts';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'heap-growth.ts');

/** The fixture's live set and old-generation peak (MB), in a fresh process with the image's 2 MB semi-space. */
async function churn(env: Record<string, string>): Promise<{ live: number; peak: number }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--max-semi-space-size=2', '--import', 'tsx', FIXTURE],
    {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { ...process.env, ...env },
    },
  );
  return JSON.parse(stdout) as { live: number; peak: number };
}

describe('heap policy (HEAP_GROWTH_PERCENT)', () => {
  it('defaults to 20 %, takes 0 for V8 adaptive growth, and names the variable when wrong', () => {
    expect(defaultOptions('/').heapGrowthPercent).toBe(20);
    expect(optionsFromEnv({ HEAP_GROWTH_PERCENT: '0' }, '/').heapGrowthPercent).toBe(0);
    expect(optionsFromEnv({ HEAP_GROWTH_PERCENT: '50' }, '/').heapGrowthPercent).toBe(50);
    for (const bad of ['-5', '1.5', 'lots', '1001'])
      expect(() => optionsFromEnv({ HEAP_GROWTH_PERCENT: bad }, '/')).toThrow(
        /HEAP_GROWTH_PERCENT must be an integer from 0 to 1000/,
      );
  });

  it('sets the V8 flag only when a percentage is given', () => {
    const set: string[] = [];
    applyHeapPolicy({ heapGrowthPercent: 20 }, (f) => set.push(f));
    applyHeapPolicy({ heapGrowthPercent: 0 }, (f) => set.push(f));
    expect(set).toEqual(['--heap-growing-percent=20']);
    expect(heapGrowthFlag(0)).toBeNull();
  });

  it('keeps promoted garbage from piling up in the old generation', async () => {
    const [bounded, adaptive] = await Promise.all([
      churn({ HEAP_GROWTH_PERCENT: '' }),
      churn({ HEAP_GROWTH_PERCENT: '0' }),
    ]);
    // Measured: the default peaks at ~1.7x the live set, V8's adaptive growth at ~5x.
    expect(bounded.peak).toBeLessThan(2.5 * bounded.live);
    // The fixture does pile garbage up without the policy, so the bound above means something.
    expect(adaptive.peak).toBeGreaterThan(3 * adaptive.live);
  }, 60_000);
});
