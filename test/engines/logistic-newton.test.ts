/**
 * The WebAssembly Newton system against the JavaScript loops it replaced, kept here as the
 * reference: every product (log-odds, loss, residuals, curvatures, X'r, X'SX, Cholesky
 * factor and solve) must be the same doubles, bit for bit, on data that mixes dense
 * columns, one-hot blocks and mostly-zero numbers, in one chunk and across many chunks
 * (row counts that are and are not multiples of the four running sums).
 */
import { describe, expect, it } from 'vitest';
import { newtonSystem } from '../../pipeline/core/engines/linear/newton.ts';
import { sigmoid } from '../../pipeline/core/common/sigmoid.ts';
import type { FeatureMatrix } from '../../pipeline/core/engines/engine.ts';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Dense numbers, a 5-level one-hot block, a 40 %-nonzero number (dense) and a 10 %-nonzero one (sparse). */
function data(n: number, seed: number): { X: FeatureMatrix; y: Uint8Array; w: Float64Array } {
  const rnd = mulberry32(seed);
  const columns: Float64Array[] = [];
  for (let j = 0; j < 3; j++) columns.push(Float64Array.from({ length: n }, () => rnd() * 4 - 2));
  const level = Array.from({ length: n }, () => Math.floor(rnd() * 5));
  for (let l = 0; l < 5; l++) columns.push(Float64Array.from(level, (v) => (v === l ? 1 : 0)));
  columns.push(Float64Array.from({ length: n }, () => (rnd() < 0.4 ? rnd() * 3 : 0)));
  columns.push(Float64Array.from({ length: n }, () => (rnd() < 0.1 ? -rnd() : 0)));
  const y = Uint8Array.from(columns[0], (v, i) => (rnd() < sigmoid(v - columns[8][i]) ? 1 : 0));
  const w = Float64Array.from({ length: n }, () => 0.5 + rnd());
  return {
    X: { names: columns.map((_, j) => `x${j}`), rows: n, columns, categorical: columns.map(() => false) },
    y,
    w,
  };
}

/** The former JavaScript: dense columns by column, sparse ones by each row's entries, in this order. */
function reference(X: FeatureMatrix) {
  const n = X.rows;
  const d = X.columns.length + 1;
  const denseIndex = [0];
  const denseCols: Float64Array[] = [new Float64Array(n).fill(1)];
  const sparseIndex: number[] = [];
  X.columns.forEach((col, j) => {
    let nz = 0;
    for (let i = 0; i < n; i++) if (col[i] !== 0) nz++;
    if (nz > 0.25 * n) {
      denseIndex.push(j + 1);
      denseCols.push(col);
    } else sparseIndex.push(j + 1);
  });
  const D = denseIndex.length;
  const rows: { k: number; v: number }[][] = Array.from({ length: n }, () => []);
  for (const k of sparseIndex)
    for (let i = 0; i < n; i++) if (X.columns[k - 1][i] !== 0) rows[i].push({ k, v: X.columns[k - 1][i] });
  const dot = (a: Float64Array, b: Float64Array): number => {
    let t0 = 0;
    let t1 = 0;
    let t2 = 0;
    let t3 = 0;
    let i = 0;
    for (; i + 3 < n; i += 4) {
      t0 += a[i] * b[i];
      t1 += a[i + 1] * b[i + 1];
      t2 += a[i + 2] * b[i + 2];
      t3 += a[i + 3] * b[i + 3];
    }
    for (; i < n; i++) t0 += a[i] * b[i];
    return t0 + t1 + t2 + t3;
  };
  return {
    margin(beta: Float64Array): Float64Array {
      const eta = new Float64Array(n);
      for (let a = 0; a < D; a++) for (let i = 0; i < n; i++) eta[i] += beta[denseIndex[a]] * denseCols[a][i];
      for (let i = 0; i < n; i++) {
        let t = 0;
        for (const { k, v } of rows[i]) t += beta[k] * v;
        eta[i] += t;
      }
      return eta;
    },
    gradient(r: Float64Array): Float64Array {
      const g = new Float64Array(d);
      for (let a = 0; a < D; a++) g[denseIndex[a]] = dot(denseCols[a], r);
      for (let i = 0; i < n; i++) for (const { k, v } of rows[i]) g[k] += v * r[i];
      return g;
    },
    hessian(s: Float64Array): Float64Array {
      const H = new Float64Array(d * d);
      const sc = new Float64Array(n);
      for (let a = 0; a < D; a++) {
        for (let i = 0; i < n; i++) sc[i] = s[i] * denseCols[a][i];
        for (let b = a; b < D; b++) H[denseIndex[a] * d + denseIndex[b]] = dot(sc, denseCols[b]);
      }
      for (let i = 0; i < n; i++)
        rows[i].forEach(({ k, v }, e) => {
          const t = s[i] * v;
          for (let a = 0; a < D; a++) H[denseIndex[a] * d + k] += t * denseCols[a][i];
          for (let f = e; f < rows[i].length; f++) H[k * d + rows[i][f].k] += t * rows[i][f].v;
        });
      for (let a = 0; a < d; a++)
        for (let b = a + 1; b < d; b++) {
          const upper = H[a * d + b] + H[b * d + a];
          H[a * d + b] = upper;
          H[b * d + a] = upper;
        }
      return H;
    },
  };
}

function referenceWeights(eta: Float64Array, y: Uint8Array, w: Float64Array) {
  const r = new Float64Array(eta.length);
  const s = new Float64Array(eta.length);
  let loss = 0;
  for (let i = 0; i < eta.length; i++) {
    const p = sigmoid(eta[i]);
    r[i] = w[i] * (p - y[i]);
    s[i] = w[i] * Math.max(p * (1 - p), 1e-12);
    const x = eta[i];
    const softplus = x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
    loss += w[i] * (softplus - y[i] * x);
  }
  return { r, s, loss };
}

function referenceSolve(A: Float64Array, b: Float64Array, d: number): Float64Array {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j <= i; j++) {
      let s = A[i * d + j];
      for (let k = 0; k < j; k++) s -= L[i * d + k] * L[j * d + k];
      L[i * d + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j * d + j];
    }
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * d + k] * z[k];
    z[i] = s / L[i * d + i];
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < d; k++) s -= L[k * d + i] * x[k];
    x[i] = s / L[i * d + i];
  }
  return x;
}

/** Same doubles, +0 and −0 told apart. */
function expectBits(actual: Float64Array, expected: Float64Array): void {
  expect(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).toString('hex')).toBe(
    Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength).toString('hex'),
  );
}

describe('logistic regression Newton system (WebAssembly)', () => {
  it.each([
    { n: 203, chunkRows: undefined },
    { n: 203, chunkRows: 16 },
    { n: 200, chunkRows: 12 },
    { n: 7, chunkRows: 4 },
  ])('matches the JavaScript it replaced bit for bit: $n rows, chunks of $chunkRows', ({ n, chunkRows }) => {
    const { X, y, w } = data(n, n);
    const d = X.columns.length + 1;
    const ref = reference(X);
    const sys = newtonSystem(X, y, w, chunkRows === undefined ? {} : { chunkRows });
    const rnd = mulberry32(7);
    const beta = Float64Array.from({ length: d }, () => rnd() * 2 - 1);

    sys.fillMargin(-0.4);
    const start = new Float64Array(n).fill(-0.4);
    expect(sys.loss(false)).toBe(referenceWeights(start, y, w).loss);

    sys.trialMargin(beta);
    const eta = ref.margin(beta);
    const expected = referenceWeights(eta, y, w);
    expect(sys.loss(true)).toBe(expected.loss);
    sys.accept();
    expect(sys.loss(false)).toBe(expected.loss);
    sys.weights();

    const g = new Float64Array(d);
    sys.gradient(g);
    expectBits(g, ref.gradient(expected.r));
    const H = new Float64Array(d * d);
    sys.hessian(H);
    const Hr = ref.hessian(expected.s);
    expectBits(H, Hr);

    // The penalty, as logistic regression adds it: on the diagonal but the intercept's.
    for (let a = 1; a < d; a++) Hr[a * d + a] += 0.5;
    sys.factor(0.5);
    expectBits(sys.solve(g), referenceSolve(Hr, g, d));

    let all = 0;
    let positive = 0;
    for (let i = 0; i < n; i++) {
      all += w[i];
      if (y[i] === 1) positive += w[i];
    }
    expect(sys.weightSums()).toEqual({ all, positive });
    // The next case (smaller, or the same size) reuses this memory, stale values and all.
    sys.dispose();
  });
});
