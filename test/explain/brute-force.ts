import type { ShapTree, TreeEnsemble } from '../../pipeline/core/engines/engine.ts';
import { goesLeft } from '../../pipeline/core/explain/treeshap.ts';
import { leafIndex } from '../engines/helpers.ts';

/**
 * Path-dependent conditional expectation E[f(x) | x_S]: features in S follow the row,
 * the others average both children by cover — the value function TreeSHAP's Shapley
 * values are defined on.
 */
export function condExpectation(t: ShapTree, x: ArrayLike<number>, S: Set<number>, node = 0): number {
  const f = t.feature[node];
  if (f < 0) return t.value[node];
  const l = t.left[node];
  const r = t.right[node];
  if (S.has(f)) return condExpectation(t, x, S, goesLeft(t, node, x[f]) ? l : r);
  const w = t.cover[node];
  return (t.cover[l] / w) * condExpectation(t, x, S, l) + (t.cover[r] / w) * condExpectation(t, x, S, r);
}

function factorial(n: number): number {
  let out = 1;
  for (let k = 2; k <= n; k++) out *= k;
  return out;
}

/** Shapley values by enumerating every coalition: exponential, exact, obviously right. */
export function bruteForceShap(trees: { t: ShapTree; scale: number }[], x: ArrayLike<number>, M: number): Float64Array {
  const v = (S: Set<number>): number => trees.reduce((s, { t, scale }) => s + scale * condExpectation(t, x, S), 0);
  const phi = new Float64Array(M);
  for (let i = 0; i < M; i++) {
    const others = Array.from({ length: M }, (_, k) => k).filter((k) => k !== i);
    for (let mask = 0; mask < 1 << others.length; mask++) {
      const S = new Set(others.filter((_, b) => mask & (1 << b)));
      const weight = (factorial(S.size) * factorial(M - S.size - 1)) / factorial(M);
      const withI = new Set(S).add(i);
      phi[i] += weight * (v(withI) - v(S));
    }
  }
  return phi;
}

/** The ensemble's margin for one row, by walking every tree: what its SHAP values must add up to. */
export function ensembleOutput(e: TreeEnsemble, row: ArrayLike<number>): number {
  let s = e.base;
  for (const t of e.trees) s += e.scale * t.value[leafIndex(t, row)];
  return s;
}
