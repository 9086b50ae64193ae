/**
 * Exact path-dependent TreeSHAP (Lundberg, Erion & Lee 2018, "Consistent
 * Individualized Feature Attribution for Tree Ensembles", Algorithm 2): Shapley values
 * of one tree's output where a feature outside the coalition is integrated out by
 * following both children weighted by their training cover. Polynomial time
 * (O(L·D²) per tree), and equal to the exponential brute-force definition
 * (test/explain/treeshap.test.ts checks that on small trees).
 *
 * Works on the flat tree layout of pipeline/core/engines/tree/compact.ts; any object with
 * these arrays fits, so tests can build trees by hand.
 */
import type { ShapTree, TreeEnsemble } from '../engines/engine.ts';

/** The child a row with value `x` goes to at inner node `i`. */
export function goesLeft(t: ShapTree, i: number, x: number): boolean {
  return x <= t.threshold[i] || (x !== x && t.missingLeft[i] === 1);
}

/**
 * Share of node i's cover that goes to child c. A node without cover (possible only in
 * hand-made or degenerate trees) splits its weight evenly, so nothing divides by zero.
 */
function share(t: ShapTree, i: number, c: number): number {
  const w = t.cover[i];
  return w > 0 ? t.cover[c] / w : 0.5;
}

/** The tree's expected output over the training distribution (cover-weighted leaf mean). */
export function expectedValue(t: ShapTree, node = 0): number {
  if (t.feature[node] < 0) return t.value[node];
  return (
    share(t, node, t.left[node]) * expectedValue(t, t.left[node]) +
    share(t, node, t.right[node]) * expectedValue(t, t.right[node])
  );
}

export function maxDepth(t: ShapTree, node = 0): number {
  if (t.feature[node] < 0) return 0;
  return 1 + Math.max(maxDepth(t, t.left[node]), maxDepth(t, t.right[node]));
}

/**
 * The "unique path" of Algorithm 2, one frame per recursion depth stored back to back
 * in flat arrays (frame d starts at d·(d+1)/2 and holds d+1 elements), as in the
 * reference C++ implementation: no allocation inside the recursion.
 */
class PathStore {
  readonly feature: Int32Array;
  readonly zero: Float64Array;
  readonly one: Float64Array;
  readonly weight: Float64Array;

  constructor(depth: number) {
    const size = ((depth + 2) * (depth + 3)) / 2;
    this.feature = new Int32Array(size);
    this.zero = new Float64Array(size);
    this.one = new Float64Array(size);
    this.weight = new Float64Array(size);
  }
}

function extendPath(p: PathStore, at: number, depth: number, zero: number, one: number, feature: number): void {
  p.feature[at + depth] = feature;
  p.zero[at + depth] = zero;
  p.one[at + depth] = one;
  p.weight[at + depth] = depth === 0 ? 1 : 0;
  for (let i = depth - 1; i >= 0; i--) {
    p.weight[at + i + 1] += (one * p.weight[at + i] * (i + 1)) / (depth + 1);
    p.weight[at + i] = (zero * p.weight[at + i] * (depth - i)) / (depth + 1);
  }
}

function unwindPath(p: PathStore, at: number, depth: number, index: number): void {
  const one = p.one[at + index];
  const zero = p.zero[at + index];
  let nextOne = p.weight[at + depth];
  for (let i = depth - 1; i >= 0; i--) {
    if (one !== 0) {
      const tmp = p.weight[at + i];
      p.weight[at + i] = (nextOne * (depth + 1)) / ((i + 1) * one);
      nextOne = tmp - (p.weight[at + i] * zero * (depth - i)) / (depth + 1);
    } else {
      p.weight[at + i] = (p.weight[at + i] * (depth + 1)) / (zero * (depth - i));
    }
  }
  for (let i = index; i < depth; i++) {
    p.feature[at + i] = p.feature[at + i + 1];
    p.zero[at + i] = p.zero[at + i + 1];
    p.one[at + i] = p.one[at + i + 1];
  }
}

/** 1/k for small k: the inner loops below multiply instead of dividing. */
let INV = reciprocals(64);

function reciprocals(n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, k) => (k === 0 ? 0 : 1 / k));
}

/** Sum of the path weights after unwinding element `index`, without changing the path. */
function unwoundSum(p: PathStore, at: number, depth: number, index: number): number {
  const one = p.one[at + index];
  const zero = p.zero[at + index];
  const w = p.weight;
  let total = 0;
  if (one !== 0) {
    // one_fraction is 0 or 1 on a row's path, so (depth+1)/((i+1)·one) = (depth+1)·inv(i+1)/one.
    const d1 = (depth + 1) / one;
    const zd = zero * INV[depth + 1];
    let nextOne = w[at + depth];
    for (let i = depth - 1; i >= 0; i--) {
      const tmp = nextOne * d1 * INV[i + 1];
      total += tmp;
      nextOne = w[at + i] - tmp * zd * (depth - i);
    }
  } else if (zero !== 0) {
    const c = (depth + 1) / zero;
    for (let i = depth - 1; i >= 0; i--) total += w[at + i] * c * INV[depth - i];
  }
  return total;
}

function recurse(
  t: ShapTree,
  row: ArrayLike<number>,
  phi: Float64Array,
  scale: number,
  p: PathStore,
  node: number,
  parentAt: number,
  depth: number,
  parentZero: number,
  parentOne: number,
  parentFeature: number,
): void {
  // This frame starts right after the parent's (which held `depth` elements).
  const at = depth === 0 ? 0 : parentAt + depth;
  if (depth > 0) {
    for (let i = 0; i < depth; i++) {
      p.feature[at + i] = p.feature[parentAt + i];
      p.zero[at + i] = p.zero[parentAt + i];
      p.one[at + i] = p.one[parentAt + i];
      p.weight[at + i] = p.weight[parentAt + i];
    }
  }
  extendPath(p, at, depth, parentZero, parentOne, parentFeature);
  const f = t.feature[node];
  if (f < 0) {
    const v = t.value[node] * scale;
    // For an element with one_fraction 0 the unwound sum is C / zero_fraction with C
    // independent of the element, so its term w·(0 − zero)·v is simply −C·v: computed
    // once per leaf instead of an O(depth) unwinding per element.
    let coldTerm = NaN;
    for (let i = 1; i <= depth; i++) {
      if (p.one[at + i] !== 0) {
        const w = unwoundSum(p, at, depth, i);
        phi[p.feature[at + i]] += w * (p.one[at + i] - p.zero[at + i]) * v;
      } else if (p.zero[at + i] !== 0) {
        if (coldTerm !== coldTerm) {
          let c = 0;
          for (let k = depth - 1; k >= 0; k--) c += p.weight[at + k] * (depth + 1) * INV[depth - k];
          coldTerm = -c * v;
        }
        phi[p.feature[at + i]] += coldTerm;
      }
    }
    return;
  }
  const l = t.left[node];
  const r = t.right[node];
  const hot = goesLeft(t, node, row[f]) ? l : r;
  const cold = hot === l ? r : l;
  const hotZero = share(t, node, hot);
  const coldZero = share(t, node, cold);
  let inZero = 1;
  let inOne = 1;
  let d = depth;
  // A feature already on the path: undo its earlier split so it counts once.
  let k = 0;
  for (; k <= d; k++) if (p.feature[at + k] === f) break;
  if (k !== d + 1) {
    inZero = p.zero[at + k];
    inOne = p.one[at + k];
    unwindPath(p, at, d, k);
    d -= 1;
  }
  // Children frames start after this one, which now holds d + 1 elements.
  recurse(t, row, phi, scale, p, hot, at, d + 1, hotZero * inZero, inOne, f);
  recurse(t, row, phi, scale, p, cold, at, d + 1, coldZero * inZero, 0, f);
}

const depthCache = new WeakMap<ShapTree, number>();
const expectedCache = new WeakMap<ShapTree, number>();

/** Expected value of a tree, cached per tree object. */
export function treeExpectation(t: ShapTree): number {
  let e = expectedCache.get(t);
  if (e === undefined) {
    e = expectedValue(t);
    expectedCache.set(t, e);
  }
  return e;
}

/**
 * Adds `scale` × the SHAP values of one tree for `row` to `phi` (one slot per column).
 * Contributions sum to scale × (tree(row) − expectedValue(tree)).
 */
export function treeShap(t: ShapTree, row: ArrayLike<number>, phi: Float64Array, scale = 1): void {
  let depth = depthCache.get(t);
  if (depth === undefined) {
    depth = maxDepth(t);
    depthCache.set(t, depth);
  }
  if (t.feature[0] < 0) return; // a single leaf attributes nothing
  // Splits on the same feature are unwound, so a path holds at most depth + 1 elements;
  // frames are laid out for depth + 1 levels.
  if (INV.length < depth + 3) INV = reciprocals(depth + 3);
  const p = new PathStore(depth + 1);
  recurse(t, row, phi, scale, p, 0, 0, 0, 1, 1, -1);
}

/** The ensemble's expected margin over the training distribution: explanations' base value. */
export function ensembleExpectation(e: TreeEnsemble): number {
  let s = e.base;
  for (const t of e.trees) s += e.scale * treeExpectation(t);
  return s;
}

export function ensembleShap(e: TreeEnsemble, row: ArrayLike<number>, nFeatures: number): Float64Array {
  const phi = new Float64Array(nFeatures);
  for (const t of e.trees) treeShap(t, row, phi, e.scale);
  return phi;
}
