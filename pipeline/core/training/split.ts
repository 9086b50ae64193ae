/**
 * Stratified splits with a seed: each class is shuffled on its own and cut by the
 * fractions, so train, validation and test keep the data set's default rate.
 */
import { Rng, deriveSeed } from '../common/random.ts';

export interface SplitIndex {
  train: Uint32Array;
  validation: Uint32Array;
  test: Uint32Array;
}

export function stratifiedSplit(
  y: Uint8Array,
  fractions: { train: number; validation: number; test: number },
  seed: number,
): SplitIndex {
  const parts: { train: number[]; validation: number[]; test: number[] } = { train: [], validation: [], test: [] };
  for (const label of [0, 1]) {
    const idx: number[] = [];
    for (let i = 0; i < y.length; i++) if (y[i] === label) idx.push(i);
    new Rng(deriveSeed(seed, 101, label)).shuffle(idx);
    const total = fractions.train + fractions.validation + fractions.test;
    const nTest = Math.round((idx.length * fractions.test) / total);
    const nVal = Math.round((idx.length * fractions.validation) / total);
    for (let k = 0; k < idx.length; k++) {
      const part = k < nTest ? parts.test : k < nTest + nVal ? parts.validation : parts.train;
      part.push(idx[k]);
    }
  }
  // Sorted row order keeps results independent of the shuffle's interleaving.
  const sorted = (a: number[]): Uint32Array => Uint32Array.from(a).sort();
  return { train: sorted(parts.train), validation: sorted(parts.validation), test: sorted(parts.test) };
}

/** Stratified k-fold assignment: fold number per row. */
export function stratifiedFolds(y: Uint8Array, k: number, seed: number): Uint8Array {
  const fold = new Uint8Array(y.length);
  for (const label of [0, 1]) {
    const idx: number[] = [];
    for (let i = 0; i < y.length; i++) if (y[i] === label) idx.push(i);
    new Rng(deriveSeed(seed, 202, label)).shuffle(idx);
    idx.forEach((row, j) => (fold[row] = j % k));
  }
  return fold;
}
