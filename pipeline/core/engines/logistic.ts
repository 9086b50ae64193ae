/**
 * Regularised logistic regression, the transparent baseline credit teams compare
 * every tree model against. Fitted by Newton's method (IRLS) with an L2 penalty
 * (scikit-learn's C convention; the intercept is not penalised): a handful of exact
 * steps, deterministic, no learning rate to tune. The Hessian is summed over each row's
 * nonzero columns only (one-hot blocks are mostly zeros), steps are halved when they
 * would raise the loss, and near the optimum steps reuse the last factorisation while
 * they contract fast; the solution is the penalised optimum whatever path reaches it.
 */
import type {
  Attribution,
  Engine,
  EngineFactory,
  EngineState,
  FeatureMatrix,
  FitContext,
  ParamSpec,
} from './engine.ts';
import { sigmoid } from '../common/sigmoid.ts';
import { classWeightsOf, rowWeights } from './class-weight.ts';
import { resolveParams } from './params.ts';

const paramSpec: Record<string, ParamSpec> = {
  C: {
    type: 'number',
    default: 1,
    min: 1e-6,
    max: 1e6,
    description: 'Inverse of L2 regularisation strength (larger = weaker penalty).',
  },
  maxIter: { type: 'integer', default: 50, min: 1, max: 1000, description: 'Newton iterations at most.' },
  tol: { type: 'number', default: 1e-8, min: 0, max: 1, description: 'Stop when the largest step is below this.' },
  classWeight: {
    type: 'string',
    default: 'none',
    values: ['none', 'balanced'],
    description: 'Weight classes inversely to their frequency.',
  },
};

interface LogisticState {
  intercept: number;
  coef: number[];
  iterations: number;
}

class LogisticEngine implements Engine {
  readonly name = 'logistic';
  private readonly p: Record<string, number | string | boolean>;
  private state: LogisticState | null = null;

  constructor(params: Record<string, number | string | boolean>, state?: LogisticState) {
    this.p = params;
    this.state = state ?? null;
  }

  params(): Record<string, number | string | boolean> {
    return { ...this.p };
  }

  async fit(X: FeatureMatrix, y: Uint8Array, ctx: FitContext): Promise<void> {
    const n = X.rows;
    const d = X.columns.length + 1; // intercept first
    const C = this.p.C as number;
    const maxIter = this.p.maxIter as number;
    const tol = this.p.tol as number;
    const w = rowWeights(y, classWeightsOf(this.p.classWeight as string, y), ctx.sampleWeight);
    const design = splitDesign(X);
    const beta = new Float64Array(d);
    // Start from the weighted base rate: the intercept alone, which the first steps would otherwise spend finding.
    let wPos = 0;
    let wAll = 0;
    for (let i = 0; i < n; i++) {
      wAll += w[i];
      if (y[i] === 1) wPos += w[i];
    }
    if (wPos > 0 && wPos < wAll) beta[0] = Math.log(wPos / (wAll - wPos));
    let eta = new Float64Array(n).fill(beta[0]);
    let trialEta = new Float64Array(n);
    const trial = new Float64Array(d);
    const r = new Float64Array(n);
    const s = new Float64Array(n);
    const grad = new Float64Array(d);
    const hess = new Float64Array(d * d);
    const objective = (e: Float64Array, b: Float64Array): number => {
      let f = 0;
      for (let i = 0; i < n; i++) f += w[i] * (softplus(e[i]) - y[i] * e[i]);
      let pen = 0;
      for (let a = 1; a < d; a++) pen += b[a] * b[a];
      return f + pen / (2 * C);
    };
    let loss = objective(eta, beta);
    // Moves to beta − t·step when that does not raise the loss (beyond rounding); returns whether it moved.
    const tryStep = (step: Float64Array, t: number): boolean => {
      for (let a = 0; a < d; a++) trial[a] = beta[a] - t * step[a];
      design.margin(trial, trialEta);
      const f = objective(trialEta, trial);
      if (!(f <= loss + LOSS_SLACK * Math.abs(loss))) return false;
      beta.set(trial);
      [eta, trialEta] = [trialEta, eta];
      loss = f;
      return true;
    };
    let factor: Float64Array | null = null;
    let lastStep = Infinity;
    let iterations = 0;
    for (let iter = 0; iter < maxIter; iter++) {
      iterations = iter + 1;
      for (let i = 0; i < n; i++) {
        const pi = sigmoid(eta[i]);
        r[i] = w[i] * (pi - y[i]);
        s[i] = w[i] * Math.max(pi * (1 - pi), 1e-12);
      }
      design.gradient(r, grad);
      for (let a = 1; a < d; a++) grad[a] += beta[a] / C;
      // Close to the optimum the Hessian barely moves: a step may reuse the last
      // factorisation (costing a gradient, not a Hessian) when it shrinks fast and lowers
      // the loss; otherwise it is dropped and taken again with a fresh Hessian. Newton
      // steps are halved until the loss does not rise (a full Newton step can overshoot,
      // and then diverge, when a weak penalty lets a rare category's coefficient run off).
      let accepted = false;
      let size = 0;
      if (factor !== null && lastStep < REUSE_BELOW) {
        const step = choleskySolve(factor, grad, d);
        size = maxAbs(step);
        if (size <= REUSE_SHRINK * lastStep) accepted = tryStep(step, 1);
      }
      if (!accepted) {
        design.hessian(s, hess);
        for (let a = 1; a < d; a++) hess[a * d + a] += 1 / C;
        factor = cholesky(hess, d);
        const step = choleskySolve(factor, grad, d);
        let t = 1;
        for (let k = 0; !(accepted = tryStep(step, t)) && k < MAX_HALVINGS; k++) t /= 2;
        // Not even a tiny step lowers the loss: the optimum, to rounding.
        if (!accepted) break;
        size = maxAbs(step) * t;
      }
      lastStep = size;
      ctx.onProgress?.(iter + 1, maxIter, 'newton steps');
      if (size < tol) break;
    }
    this.state = { intercept: beta[0], coef: Array.from(beta.subarray(1)), iterations };
  }

  private fitted(): LogisticState {
    if (!this.state) throw new Error('logistic: model is not fitted');
    return this.state;
  }

  /** Log-odds per row. */
  predictMargin(X: FeatureMatrix): Float64Array {
    const { intercept, coef } = this.fitted();
    const out = new Float64Array(X.rows).fill(intercept);
    coef.forEach((b, j) => {
      const c = X.columns[j];
      for (let i = 0; i < X.rows; i++) out[i] += b * c[i];
    });
    return out;
  }

  predictProba(X: FeatureMatrix): Float64Array {
    return this.predictMargin(X).map(sigmoid);
  }

  featureImportance(): Float64Array {
    const abs = this.fitted().coef.map(Math.abs);
    const total = abs.reduce((s, v) => s + v, 0);
    return Float64Array.from(abs, (v) => (total > 0 ? v / total : 0));
  }

  toJSON(): EngineState {
    return { engine: this.name, params: this.params(), state: this.fitted() };
  }

  /** Each column adds coefficient × its (standardised) value to the log-odds. */
  attribution(): Attribution {
    const { intercept, coef } = this.fitted();
    return { kind: 'linear', output: 'log_odds', intercept, coef, margin: (X) => this.predictMargin(X) };
  }
}

/**
 * The design matrix [1 | X] as Newton's method reads it. One-hot and missing-indicator
 * columns are mostly zeros, so they are kept as each row's list of nonzero entries and the
 * Hessian X'SX is summed over each row's nonzero pairs only: a row costs (its nonzeros)²
 * instead of (all columns)², which is what one-hot encoding of many categories makes large.
 * Columns are numbered as in the model: 0 the intercept, j + 1 the matrix's column j.
 */
interface Design {
  /** g = X' r over all d columns. */
  gradient(r: Float64Array, g: Float64Array): void;
  /** H = X' diag(s) X, both triangles. */
  hessian(s: Float64Array, H: Float64Array): void;
  /** eta = X beta. */
  margin(beta: Float64Array, eta: Float64Array): void;
}

/** A column whose share of nonzero rows is at most this is stored by its nonzeros. */
const SPARSE_SHARE = 0.25;
/** Steps reuse the last Hessian once they are below this… */
const REUSE_BELOW = 1e-2;
/** …and each is at most this fraction of the one before (else the next step takes a fresh Hessian). */
const REUSE_SHRINK = 0.25;
/** Step halvings at most before a Newton step is given up as at the optimum. */
const MAX_HALVINGS = 30;
/** Relative rise of the loss still taken as rounding (sums over many rows). */
const LOSS_SLACK = 1e-12;

function splitDesign(X: FeatureMatrix): Design {
  const n = X.rows;
  const d = X.columns.length + 1;
  // Dense columns (the intercept always) as column arrays; sparse ones as per-row entries.
  const denseIndex: number[] = [0];
  const denseCols: Float64Array[] = [new Float64Array(n).fill(1)];
  const sparseIndex: number[] = [];
  X.columns.forEach((col, j) => {
    let nz = 0;
    for (let i = 0; i < n; i++) if (col[i] !== 0) nz++;
    if (nz > SPARSE_SHARE * n) {
      denseIndex.push(j + 1);
      denseCols.push(col);
    } else sparseIndex.push(j + 1);
  });
  const D = denseIndex.length;
  const rowStart = new Int32Array(n + 1);
  for (const k of sparseIndex) {
    const col = X.columns[k - 1];
    for (let i = 0; i < n; i++) if (col[i] !== 0) rowStart[i + 1]++;
  }
  for (let i = 0; i < n; i++) rowStart[i + 1] += rowStart[i];
  const nnz = rowStart[n];
  const entryCol = new Int32Array(nnz);
  const entryVal = new Float64Array(nnz);
  const fill = rowStart.slice(0, n);
  // Sparse columns in increasing model order, so each row's entries are sorted.
  for (const k of sparseIndex) {
    const col = X.columns[k - 1];
    for (let i = 0; i < n; i++) {
      const v = col[i];
      if (v !== 0) {
        entryCol[fill[i]] = k;
        entryVal[fill[i]++] = v;
      }
    }
  }
  const row = new Float64Array(D);
  return {
    gradient(r, g) {
      g.fill(0);
      for (let a = 0; a < D; a++) g[denseIndex[a]] = dot(denseCols[a], r, n);
      for (let i = 0; i < n; i++) {
        const ri = r[i];
        for (let e = rowStart[i]; e < rowStart[i + 1]; e++) g[entryCol[e]] += entryVal[e] * ri;
      }
    },
    hessian(s, H) {
      H.fill(0);
      // Dense × dense: one dot product per pair, over contiguous columns.
      const sc = new Float64Array(n);
      for (let a = 0; a < D; a++) {
        const ca = denseCols[a];
        for (let i = 0; i < n; i++) sc[i] = s[i] * ca[i];
        for (let b = a; b < D; b++) H[denseIndex[a] * d + denseIndex[b]] = dot(sc, denseCols[b], n);
      }
      // Pairs with a sparse column: only the rows where it is nonzero.
      for (let i = 0; i < n; i++) {
        const e0 = rowStart[i];
        const e1 = rowStart[i + 1];
        if (e0 === e1) continue;
        for (let a = 0; a < D; a++) row[a] = denseCols[a][i];
        const si = s[i];
        for (let e = e0; e < e1; e++) {
          const k = entryCol[e];
          const t = si * entryVal[e];
          for (let a = 0; a < D; a++) H[denseIndex[a] * d + k] += t * row[a];
          for (let f = e; f < e1; f++) H[k * d + entryCol[f]] += t * entryVal[f];
        }
      }
      // Mirror to the lower triangle (dense indices and sparse indices interleave).
      for (let a = 0; a < d; a++)
        for (let b = a + 1; b < d; b++) {
          const upper = H[a * d + b] + H[b * d + a];
          H[a * d + b] = upper;
          H[b * d + a] = upper;
        }
    },
    margin(beta, eta) {
      eta.fill(0);
      for (let a = 0; a < D; a++) {
        const c = denseCols[a];
        const b = beta[denseIndex[a]];
        for (let i = 0; i < n; i++) eta[i] += b * c[i];
      }
      for (let i = 0; i < n; i++) {
        let t = 0;
        for (let e = rowStart[i]; e < rowStart[i + 1]; e++) t += beta[entryCol[e]] * entryVal[e];
        eta[i] += t;
      }
    },
  };
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

/** Four running sums: independent additions the CPU overlaps (a single sum waits on each add). */
function dot(a: Float64Array, b: Float64Array, n: number): number {
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
}

/** Cholesky factor L (row-major d×d, lower) of a symmetric positive definite A. */
function cholesky(A: Float64Array, d: number): Float64Array {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * d + j];
      for (let k = 0; k < j; k++) s -= L[i * d + k] * L[j * d + k];
      L[i * d + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j * d + j];
    }
  }
  return L;
}

/** Solves L Lᵀ x = b. */
function choleskySolve(L: Float64Array, b: Float64Array, d: number): Float64Array {
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

export const logisticFactory: EngineFactory = {
  name: 'logistic',
  encoding: 'linear',
  description: 'L2-regularised logistic regression on standardised, one-hot features (Newton/IRLS).',
  paramSpec,
  usesValidation: false,
  searchSpace: {
    C: { type: 'float', low: 1e-3, high: 100, log: true },
    classWeight: { type: 'choice', values: ['none', 'balanced'] },
  },
  // A handful of Newton steps over rows × encoded columns; fitted to the README's benchmark machine.
  fitSeconds: (_params, shape) => 0.04 + 1e-7 * shape.rows * shape.columns,
  size: () => 0,
  create: (params) => new LogisticEngine(resolveParams('logistic', paramSpec, params)),
  fromJSON: (s: EngineState) =>
    new LogisticEngine(resolveParams('logistic', paramSpec, s.params), s.state as LogisticState),
};
