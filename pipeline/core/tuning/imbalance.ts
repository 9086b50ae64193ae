/**
 * Options for a rare positive class (about 5 % defaults on lending_club): resample the
 * training rows per class, or weight them. Applied to training rows only — never to
 * held-out or test rows, whose class mix must stay the real one for honest metrics.
 */
import { usageError } from '../common/errors.ts';
import { deriveSeed, Rng } from '../common/random.ts';

export type Sampling =
  | { method: 'none' }
  /** Keep every positive, draw negatives without replacement until negatives = ratio × positives. */
  | { method: 'undersample'; ratio: number }
  /** Keep every row, add positives drawn with replacement until positives = negatives / ratio. */
  | { method: 'oversample'; ratio: number };

/** Parses `none`, `undersample[:R]`, `oversample[:R]` (R = negatives per positive, default 1). */
export function parseSampling(text: string, where = '--sampling'): Sampling {
  const [method, r] = text.split(':');
  if (method === 'none' && r === undefined) return { method: 'none' };
  if (method !== 'undersample' && method !== 'oversample') {
    throw usageError(`${where} must be none, undersample[:R] or oversample[:R] (got ${JSON.stringify(text)})`);
  }
  const ratio = r === undefined ? 1 : Number(r);
  if (!Number.isFinite(ratio) || ratio <= 0)
    throw usageError(`${where}: the ratio R (negatives per positive) must be a number > 0 (got ${JSON.stringify(r)})`);
  return { method, ratio };
}

export function samplingLabel(s: Sampling): string {
  return s.method === 'none' ? 'none' : `${s.method}:${s.ratio}`;
}

/**
 * Row indices (into `y`) of the resampled training set, sorted, so the result is a
 * function of (y, sampling, seed) only. Each class is sampled on its own (stratified).
 */
export function resampleRows(y: Uint8Array, sampling: Sampling, seed: number): Uint32Array {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < y.length; i++) (y[i] === 1 ? pos : neg).push(i);
  if (sampling.method === 'none' || pos.length === 0 || neg.length === 0)
    return Uint32Array.from({ length: y.length }, (_, i) => i);
  const rng = new Rng(deriveSeed(seed, 505));
  if (sampling.method === 'undersample') {
    const keep = Math.min(neg.length, Math.max(1, Math.round(sampling.ratio * pos.length)));
    rng.shuffle(neg);
    return Uint32Array.from([...pos, ...neg.slice(0, keep)]).sort();
  }
  const target = Math.max(pos.length, Math.round(neg.length / sampling.ratio));
  const extra: number[] = [];
  for (let k = pos.length; k < target; k++) extra.push(pos[rng.int(pos.length)]);
  return Uint32Array.from([...pos, ...neg, ...extra]).sort();
}

/** negatives / positives: XGBoost's suggested `scale_pos_weight` for a data set. */
export function negativeToPositiveRatio(y: Uint8Array): number {
  let p = 0;
  for (let i = 0; i < y.length; i++) p += y[i];
  return p ? (y.length - p) / p : 1;
}
