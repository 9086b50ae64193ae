/**
 * The logistic engine's solver against the plain one it replaced: dense Newton/IRLS over
 * every column pair, started at zero, no step control. Both must land on the same
 * penalised optimum (coefficients to 1e-6) on the embedded data's one-hot encoding,
 * with a weak and a strong penalty, balanced classes and sample weights.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsvFile } from '../../pipeline/core/data/csv.ts';
import { inferSchema } from '../../pipeline/core/data/schema.ts';
import { toDataset } from '../../pipeline/core/data/dataset.ts';
import { fitPreprocessor, transform } from '../../pipeline/core/features/preprocess.ts';
import { logisticFactory } from '../../pipeline/core/engines/logistic.ts';
import { classWeightsOf, rowWeights } from '../../pipeline/core/engines/class-weight.ts';
import { sigmoid } from '../../pipeline/core/common/sigmoid.ts';
import type { FeatureMatrix } from '../../pipeline/core/engines/engine.ts';

const DATA = join(import.meta.dirname, '..', '..', 'data');

function linearTrain(dataset: string, target: string): { X: FeatureMatrix; y: Uint8Array } {
  const table = readCsvFile(join(DATA, dataset, 'train.csv'));
  const schema = inferSchema(table, { target, positive: 'bad' });
  const ds = toDataset(table, schema, { requireTarget: true });
  return { X: transform(fitPreprocessor(ds, schema, 'linear'), ds), y: ds.y! };
}

/** The former solver, kept here as the reference: full Newton steps from zero until the largest step is below 1e-10. */
function referenceFit(X: FeatureMatrix, y: Uint8Array, C: number, w: Float64Array): Float64Array {
  const n = X.rows;
  const d = X.columns.length + 1;
  const col = (j: number, i: number): number => (j === 0 ? 1 : X.columns[j - 1][i]);
  const beta = new Float64Array(d);
  for (let iter = 0; iter < 100; iter++) {
    const eta = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) eta[i] += beta[j] * col(j, i);
    const grad = new Float64Array(d);
    const hess = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const p = sigmoid(eta[i]);
      const r = w[i] * (p - y[i]);
      const s = w[i] * Math.max(p * (1 - p), 1e-12);
      for (let a = 0; a < d; a++) {
        const xa = col(a, i);
        if (xa === 0) continue;
        grad[a] += xa * r;
        for (let b = 0; b < d; b++) hess[a * d + b] += s * xa * col(b, i);
      }
    }
    for (let a = 1; a < d; a++) {
      grad[a] += beta[a] / C;
      hess[a * d + a] += 1 / C;
    }
    const step = solve(hess, grad, d);
    let max = 0;
    for (let a = 0; a < d; a++) {
      beta[a] -= step[a];
      max = Math.max(max, Math.abs(step[a]));
    }
    if (max < 1e-10) break;
  }
  return beta;
}

/** Gaussian elimination with partial pivoting. */
function solve(A: Float64Array, b: Float64Array, d: number): Float64Array {
  const M = Array.from({ length: d }, (_, i) => [...A.subarray(i * d, i * d + d), b[i]]);
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r;
    [M[c], M[p]] = [M[p], M[c]];
    for (let r = c + 1; r < d; r++) {
      const f = M[r][c] / M[c][c];
      for (let k = c; k <= d; k++) M[r][k] -= f * M[c][k];
    }
  }
  const x = new Float64Array(d);
  for (let r = d - 1; r >= 0; r--) {
    let s = M[r][d];
    for (let k = r + 1; k < d; k++) s -= M[r][k] * x[k];
    x[r] = s / M[r][r];
  }
  return x;
}

describe('logistic regression solver', () => {
  const cases: [string, string, Record<string, number | string>, boolean][] = [
    ['credit_data', 'Status', {}, false],
    ['credit_data', 'Status', { C: 100 }, false],
    ['credit_data', 'Status', { C: 0.01, classWeight: 'balanced' }, true],
    ['lending_club', 'Class', {}, false],
    // A weak penalty on a 5 % positive class with rare categories: full Newton steps from
    // the base rate overshoot and diverge here; the halved steps do not.
    ['lending_club', 'Class', { C: 100 }, false],
    ['lending_club', 'Class', { C: 0.05, classWeight: 'balanced' }, true],
  ];
  for (const [dataset, target, params, weighted] of cases) {
    it(`${dataset} ${JSON.stringify(params)}${weighted ? ' with sample weights' : ''}: the former solver's coefficients to 1e-6`, async () => {
      const { X, y } = linearTrain(dataset, target);
      const sampleWeight = weighted ? Float64Array.from({ length: X.rows }, (_, i) => 0.5 + (i % 3) / 2) : undefined;
      const engine = logisticFactory.create(params);
      await engine.fit(X, y, { seed: 1, sampleWeight });
      const state = engine.toJSON().state as { intercept: number; coef: number[] };
      const C = (params.C as number | undefined) ?? 1;
      const w = rowWeights(y, classWeightsOf((params.classWeight as string | undefined) ?? 'none', y), sampleWeight);
      const ref = referenceFit(X, y, C, w);
      expect(Math.abs(state.intercept - ref[0])).toBeLessThan(1e-6);
      state.coef.forEach((c, j) => expect(Math.abs(c - ref[j + 1]), `${X.names[j]}`).toBeLessThan(1e-6));
    }, 120_000);
  }
});
