/**
 * Finished trees as flat typed arrays: small to store, fast to walk, and complete
 * enough (cover per node) for path-dependent TreeSHAP.
 */
import type { FeatureMatrix } from '../engine.ts';

/**
 * One binary tree; node 0 is the root and arrays are indexed by node.
 *
 * - `feature[i]`: column index of the split, or -1 when node i is a leaf.
 * - `threshold[i]`: raw value; a row goes left when `x <= threshold[i]`.
 * - `missingLeft[i]`: 1 when a missing value (NaN) goes left, 0 when it goes right.
 * - `left[i]`, `right[i]`: child node indices (-1 for leaves).
 * - `value[i]`: the node's output; at leaves it is the prediction (a probability for
 *   forests, a log-odds increment with the learning rate applied for boosting). Inner
 *   nodes carry what they would predict as leaves.
 * - `cover[i]`: training weight reaching the node (sum of hessians; for forests the
 *   bootstrap-weighted row count). Children's covers sum to the parent's.
 * - `gain[i]`: loss reduction of the node's split (0 at leaves), used for importance.
 */
export interface CompactTree {
  feature: Int32Array;
  threshold: Float64Array;
  missingLeft: Uint8Array;
  left: Int32Array;
  right: Int32Array;
  value: Float64Array;
  cover: Float64Array;
  gain: Float64Array;
}

/** The JSON form: the same arrays as plain numbers, in the same order. */
export interface CompactTreeJSON {
  feature: number[];
  threshold: number[];
  missingLeft: number[];
  left: number[];
  right: number[];
  value: number[];
  cover: number[];
  gain: number[];
}

export function treeToJSON(t: CompactTree): CompactTreeJSON {
  return {
    feature: Array.from(t.feature),
    threshold: Array.from(t.threshold),
    missingLeft: Array.from(t.missingLeft),
    left: Array.from(t.left),
    right: Array.from(t.right),
    value: Array.from(t.value),
    cover: Array.from(t.cover),
    gain: Array.from(t.gain),
  };
}

export function treeFromJSON(j: CompactTreeJSON): CompactTree {
  const n = j.feature.length;
  for (const key of ['threshold', 'missingLeft', 'left', 'right', 'value', 'cover', 'gain'] as const) {
    if (!Array.isArray(j[key]) || j[key].length !== n) throw new Error(`tree JSON: "${key}" must have ${n} entries`);
  }
  return {
    feature: Int32Array.from(j.feature),
    threshold: Float64Array.from(j.threshold),
    missingLeft: Uint8Array.from(j.missingLeft),
    left: Int32Array.from(j.left),
    right: Int32Array.from(j.right),
    value: Float64Array.from(j.value),
    cover: Float64Array.from(j.cover),
    gain: Float64Array.from(j.gain),
  };
}

/**
 * Rounds to a fixed number of significant digits so stored models stay compact; done
 * once when a tree is finished, so in-memory and reloaded models predict identically.
 */
export function roundSig(x: number, digits: number): number {
  if (x === 0 || !Number.isFinite(x)) return x === 0 ? 0 : x;
  // Integer / power-of-ten quotients print as the short decimal; toPrecision is far slower.
  const k = digits - 1 - Math.floor(Math.log10(Math.abs(x)));
  if (k >= 0 && k <= 22) return Math.round(x * POW10[k]) / POW10[k] || 0;
  if (k < 0 && k >= -22) return Math.round(x / POW10[-k]) * POW10[-k] || 0;
  return Number(x.toPrecision(digits));
}

/** Exactly representable powers of ten. */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** Total gain per feature over the trees, normalised to sum to 1 (all 0 without splits). */
export function gainImportance(trees: readonly CompactTree[], nFeatures: number): Float64Array {
  const out = new Float64Array(nFeatures);
  for (const t of trees) {
    for (let i = 0; i < t.feature.length; i++) if (t.feature[i] >= 0) out[t.feature[i]] += t.gain[i];
  }
  let sum = 0;
  for (let f = 0; f < nFeatures; f++) sum += out[f];
  if (sum > 0) for (let f = 0; f < nFeatures; f++) out[f] /= sum;
  return out;
}

/** Refuses a matrix whose column count differs from training (scores would silently be wrong). */
export function checkColumns(engine: string, X: FeatureMatrix, nFeatures: number, nTrees: number): void {
  if (nTrees > 0 && X.columns.length !== nFeatures) {
    throw new Error(`${engine}: the model was trained on ${nFeatures} columns, got ${X.columns.length}`);
  }
}
