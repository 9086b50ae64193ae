import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Rng } from '../../pipeline/core/common/random.ts';
import type { ShapTree, TreeEnsemble } from '../../pipeline/core/engines/engine.ts';
import { ensembleExpectation, ensembleShap, expectedValue, treeShap } from '../../pipeline/core/explain/treeshap.ts';
import { bruteForceShap, ensembleOutput } from './brute-force.ts';

/** A random binary tree in the flat layout, with consistent covers and missing directions. */
function randomTree(rng: Rng, nFeatures: number, depth: number): ShapTree {
  const feature: number[] = [];
  const threshold: number[] = [];
  const missingLeft: number[] = [];
  const left: number[] = [];
  const right: number[] = [];
  const value: number[] = [];
  const cover: number[] = [];
  const grow = (d: number, w: number): number => {
    const id = feature.length;
    feature.push(-1);
    threshold.push(0);
    missingLeft.push(0);
    left.push(-1);
    right.push(-1);
    value.push(Math.round((rng.next() * 2 - 1) * 1000) / 1000);
    cover.push(w);
    if (d < depth && (d === 0 || rng.next() < 0.8)) {
      feature[id] = rng.int(nFeatures);
      threshold[id] = Math.round(rng.next() * 100) / 100;
      missingLeft[id] = rng.next() < 0.5 ? 1 : 0;
      const frac = 0.1 + 0.8 * rng.next();
      const l = grow(d + 1, w * frac);
      const r = grow(d + 1, w * (1 - frac));
      left[id] = l;
      right[id] = r;
    }
    return id;
  };
  grow(0, 100);
  return {
    feature: Int32Array.from(feature),
    threshold: Float64Array.from(threshold),
    missingLeft: Uint8Array.from(missingLeft),
    left: Int32Array.from(left),
    right: Int32Array.from(right),
    value: Float64Array.from(value),
    cover: Float64Array.from(cover),
  };
}

function randomRow(rng: Rng, nFeatures: number): Float64Array {
  return Float64Array.from({ length: nFeatures }, () => (rng.next() < 0.15 ? NaN : rng.next()));
}

describe('TreeSHAP', () => {
  it('matches a hand-computed two-split tree', () => {
    // Root splits feature 0 at 0.5 (cover 10 → 6 left, 4 right); the left child splits feature 1.
    const t: ShapTree = {
      feature: [0, 1, -1, -1, -1],
      threshold: [0.5, 0.5, 0, 0, 0],
      missingLeft: [0, 0, 0, 0, 0],
      left: [1, 3, -1, -1, -1],
      right: [2, 4, -1, -1, -1],
      value: [0, 0, 10, 1, 3],
      cover: [10, 6, 4, 3, 3],
    };
    // E[f] = 0.6·2 + 0.4·10 = 5.2. For x = (0.2, 0.9): f(x) = 3.
    // v({}) = 5.2, v({0}) = 2, v({1}) = 0.6·3 + 0.4·10 = 5.8, v({0,1}) = 3.
    // φ0 = ½(2 − 5.2) + ½(3 − 5.8) = −3, φ1 = ½(5.8 − 5.2) + ½(3 − 2) = 0.8.
    expect(expectedValue(t)).toBeCloseTo(5.2, 12);
    const phi = new Float64Array(2);
    treeShap(t, [0.2, 0.9], phi);
    expect(phi[0]).toBeCloseTo(-3, 12);
    expect(phi[1]).toBeCloseTo(0.8, 12);
  });

  it('equals the brute-force Shapley values on random small trees (repeated features, missing values)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 2, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        (seed, M, depth) => {
          const rng = new Rng(seed);
          const t = randomTree(rng, M, depth);
          const x = randomRow(rng, M);
          const phi = new Float64Array(M);
          treeShap(t, x, phi);
          const brute = bruteForceShap([{ t, scale: 1 }], x, M);
          for (let i = 0; i < M; i++) expect(phi[i]).toBeCloseTo(brute[i], 9);
        },
      ),
      { numRuns: 150, seed: 7 },
    );
  });

  it('explains ensembles: forest averages (scale 1/n) and boosting sums with a base score', () => {
    const rng = new Rng(11);
    const M = 4;
    const trees = Array.from({ length: 5 }, () => randomTree(rng, M, 4));
    for (const ens of [
      { trees, scale: 1 / trees.length, base: 0 },
      { trees, scale: 1, base: -1.25 },
    ] satisfies TreeEnsemble[]) {
      for (let k = 0; k < 10; k++) {
        const x = randomRow(rng, M);
        const phi = ensembleShap(ens, x, M);
        const brute = bruteForceShap(
          trees.map((t) => ({ t, scale: ens.scale })),
          x,
          M,
        );
        for (let i = 0; i < M; i++) expect(phi[i]).toBeCloseTo(brute[i], 9);
        // Local accuracy: expectation + Σφ = output.
        const sum = phi.reduce((s, v) => s + v, 0);
        expect(ensembleExpectation(ens) + sum).toBeCloseTo(ensembleOutput(ens, x), 9);
      }
    }
  });

  it('gives a feature the tree never splits on exactly zero, and a single leaf nothing', () => {
    const rng = new Rng(3);
    const t = randomTree(rng, 2, 3); // features 0..1 only
    const phi = new Float64Array(4);
    treeShap(t, [0.3, 0.7, 0.1, 0.9], phi);
    expect(phi[2]).toBe(0);
    expect(phi[3]).toBe(0);
    const leaf: ShapTree = {
      feature: [-1],
      threshold: [0],
      missingLeft: [0],
      left: [-1],
      right: [-1],
      value: [0.4],
      cover: [1],
    };
    const none = new Float64Array(2);
    treeShap(leaf, [1, 2], none);
    expect(Array.from(none)).toEqual([0, 0]);
    expect(expectedValue(leaf)).toBe(0.4);
  });
});
