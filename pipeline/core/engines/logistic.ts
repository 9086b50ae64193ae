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
import { newtonSystem } from './linear/newton.ts';

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
    const d = X.columns.length + 1; // intercept first
    const C = this.p.C as number;
    const maxIter = this.p.maxIter as number;
    const tol = this.p.tol as number;
    const w = rowWeights(y, classWeightsOf(this.p.classWeight as string, y), ctx.sampleWeight);
    const beta = new Float64Array(d);
    let iterations = 0;
    const newton = newtonSystem(X, y, w);
    try {
      // Start from the weighted base rate: the intercept alone, which the first steps would otherwise spend finding.
      const { all, positive } = newton.weightSums();
      if (positive > 0 && positive < all) beta[0] = Math.log(positive / (all - positive));
      newton.fillMargin(beta[0]);
      const trial = new Float64Array(d);
      const grad = new Float64Array(d);
      const penalty = (b: Float64Array): number => {
        let pen = 0;
        for (let a = 1; a < d; a++) pen += b[a] * b[a];
        return pen / (2 * C);
      };
      let loss = newton.loss(false) + penalty(beta);
      // Moves to beta − t·step when that does not raise the loss (beyond rounding); returns whether it moved.
      const tryStep = (step: Float64Array, t: number): boolean => {
        for (let a = 0; a < d; a++) trial[a] = beta[a] - t * step[a];
        newton.trialMargin(trial);
        const f = newton.loss(true) + penalty(trial);
        if (!(f <= loss + LOSS_SLACK * Math.abs(loss))) return false;
        beta.set(trial);
        newton.accept();
        loss = f;
        return true;
      };
      let factored = false;
      let lastStep = Infinity;
      for (let iter = 0; iter < maxIter; iter++) {
        iterations = iter + 1;
        newton.weights();
        newton.gradient(grad);
        for (let a = 1; a < d; a++) grad[a] += beta[a] / C;
        // Close to the optimum the Hessian barely moves: a step may reuse the last
        // factorisation (costing a gradient, not a Hessian) when it shrinks fast and lowers
        // the loss; otherwise it is dropped and taken again with a fresh Hessian. Newton
        // steps are halved until the loss does not rise (a full Newton step can overshoot,
        // and then diverge, when a weak penalty lets a rare category's coefficient run off).
        let accepted = false;
        let size = 0;
        if (factored && lastStep < REUSE_BELOW) {
          const step = newton.solve(grad);
          size = maxAbs(step);
          if (size <= REUSE_SHRINK * lastStep) accepted = tryStep(step, 1);
        }
        if (!accepted) {
          newton.hessian();
          newton.factor(1 / C);
          factored = true;
          const step = newton.solve(grad);
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
    } finally {
      newton.dispose();
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

/** Steps reuse the last Hessian once they are below this… */
const REUSE_BELOW = 1e-2;
/** …and each is at most this fraction of the one before (else the next step takes a fresh Hessian). */
const REUSE_SHRINK = 0.25;
/** Step halvings at most before a Newton step is given up as at the optimum. */
const MAX_HALVINGS = 30;
/** Relative rise of the loss still taken as rounding (sums over many rows). */
const LOSS_SLACK = 1e-12;

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
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
