/** Shared set-up for the tuning tests: the embedded credit data through the real loader. */
import { join } from 'node:path';
import { defaultConfig } from '../../pipeline/core/config/defaults.ts';
import { resolveConfig } from '../../pipeline/core/config/load.ts';
import type { MlopsConfig } from '../../pipeline/core/config/types.ts';
import type { TrialRecord } from '../../pipeline/core/tuning/runs-file.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

export function creditConfig(engine = 'logistic', params: Record<string, number | string | boolean> = {}): MlopsConfig {
  const base = defaultConfig();
  return resolveConfig({
    data: { path: 'data/credit_data.csv', target: 'Status', positive: 'bad' },
    split: base.split,
    seed: 7,
    engine: { name: engine, params },
    costs: { false_negative: 5, false_positive: 1 },
  });
}

/** A trial without its timing, the one field allowed to differ between identical runs. */
export function untimed(t: TrialRecord): Omit<TrialRecord, 'seconds'> {
  const { seconds: _s, ...rest } = t;
  return rest;
}
