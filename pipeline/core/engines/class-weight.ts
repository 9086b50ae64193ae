/**
 * Row weights for a fit: each row's sample weight (1 without one) times the weight of its
 * class. Forests and logistic regression offer scikit-learn's "balanced" class weights;
 * boosting weighs positives by `scalePosWeight`.
 */

export interface ClassWeights {
  positive: number;
  negative: number;
}

const UNWEIGHTED: Readonly<ClassWeights> = Object.freeze({ positive: 1, negative: 1 });

/**
 * scikit-learn's "balanced": n / (2 · rows of the class), so both classes carry the same
 * total weight; a class without rows keeps weight 1.
 */
export function balancedClassWeights(y: Uint8Array): ClassWeights {
  const n = y.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i];
  return { positive: pos > 0 ? n / (2 * pos) : 1, negative: pos < n ? n / (2 * (n - pos)) : 1 };
}

/** The class weights a `classWeight` parameter names: `balanced`, or `none`. */
export function classWeightsOf(mode: string, y: Uint8Array): ClassWeights {
  return mode === 'balanced' ? balancedClassWeights(y) : UNWEIGHTED;
}

/** Per row, `sample[i]` (1 without sample weights) × its class's weight, written into `out`. */
export function rowWeights(
  y: Uint8Array,
  weights: ClassWeights,
  sample?: Float64Array,
  out: Float64Array = new Float64Array(y.length),
): Float64Array {
  const { positive, negative } = weights;
  for (let i = 0; i < y.length; i++) out[i] = (sample ? sample[i] : 1) * (y[i] === 1 ? positive : negative);
  return out;
}
