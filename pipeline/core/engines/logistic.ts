/**
 * Regularised logistic regression, the transparent baseline credit teams compare
 * every tree model against. Fitted by Newton's method (IRLS) with an L2 penalty
 * (scikit-learn's C convention; the intercept is not penalised): a handful of exact
 * steps, deterministic, no learning rate to tune.
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
    const w = rowWeights(y, classWeightsOf(this.p.classWeight as string, y), ctx.sampleWeight);
    const beta = new Float64Array(d);
    const eta = new Float64Array(n);
    const cols = [null, ...X.columns];
    const at = (j: number, i: number): number => (j === 0 ? 1 : cols[j]![i]);
    let iterations = 0;
    for (let iter = 0; iter < (this.p.maxIter as number); iter++) {
      iterations = iter + 1;
      const grad = new Float64Array(d);
      const hess = new Float64Array(d * d);
      const r = new Float64Array(n);
      const s = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const pi = sigmoid(eta[i]);
        r[i] = w[i] * (pi - y[i]);
        s[i] = w[i] * Math.max(pi * (1 - pi), 1e-12);
      }
      for (let a = 0; a < d; a++) {
        let g = 0;
        for (let i = 0; i < n; i++) g += at(a, i) * r[i];
        grad[a] = g + (a > 0 ? beta[a] / C : 0);
        for (let b = a; b < d; b++) {
          let h = 0;
          if (a === 0 && b === 0) for (let i = 0; i < n; i++) h += s[i];
          else if (a === 0) {
            const cb = cols[b]!;
            for (let i = 0; i < n; i++) h += s[i] * cb[i];
          } else {
            const ca = cols[a]!;
            const cb = cols[b]!;
            for (let i = 0; i < n; i++) h += s[i] * ca[i] * cb[i];
          }
          if (a === b && a > 0) h += 1 / C;
          hess[a * d + b] = h;
          hess[b * d + a] = h;
        }
      }
      const step = choleskySolve(hess, grad, d);
      let maxStep = 0;
      for (let a = 0; a < d; a++) {
        beta[a] -= step[a];
        maxStep = Math.max(maxStep, Math.abs(step[a]));
      }
      for (let i = 0; i < n; i++) {
        let e = beta[0];
        for (let j = 1; j < d; j++) e += beta[j] * cols[j]![i];
        eta[i] = e;
      }
      ctx.onProgress?.(iter + 1, this.p.maxIter as number, 'newton steps');
      if (maxStep < (this.p.tol as number)) break;
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

/** Solves A x = b for symmetric positive definite A (row-major d×d). */
function choleskySolve(A: Float64Array, b: Float64Array, d: number): Float64Array {
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * d + j];
      for (let k = 0; k < j; k++) s -= L[i * d + k] * L[j * d + k];
      L[i * d + j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j * d + j];
    }
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
  create: (params) => new LogisticEngine(resolveParams('logistic', paramSpec, params)),
  fromJSON: (s: EngineState) =>
    new LogisticEngine(resolveParams('logistic', paramSpec, s.params), s.state as LogisticState),
};
