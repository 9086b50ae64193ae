/**
 * Gradient-boosted trees on the logistic loss (XGBoost-style second-order boosting)
 * with our histogram tree grower. Defaults favour small, heavily shrunk trees, which
 * is what tabular credit data with a few thousand rows rewards.
 */
import { deriveSeed, Rng } from '../common/random.ts';
import type {
  Attribution,
  Engine,
  EngineFactory,
  EngineOptions,
  EngineState,
  FeatureMatrix,
  FitContext,
  ParamSpec,
} from './engine.ts';
import { rowWeights } from './class-weight.ts';
import { resolveParams } from './params.ts';
import { binMatrix } from './tree/binning.ts';
import { BinnedWalk } from './tree/binned-walk.ts';
import { TreeGrower, type GrownTree, type TreeParams } from './tree/grower.ts';
import {
  checkColumns,
  gainImportance,
  treeFromJSON,
  treeToJSON,
  type CompactTree,
  type CompactTreeJSON,
} from './tree/compact.ts';
import { PackedEnsemble } from './tree/packed.ts';

const paramSpec: Record<string, ParamSpec> = {
  nRounds: {
    type: 'integer',
    default: 100,
    min: 1,
    max: 100000,
    description: 'Boosting rounds at most (fewer when early stopping triggers).',
  },
  learningRate: {
    type: 'number',
    default: 0.1,
    min: 1e-6,
    max: 1,
    description: 'Shrinkage (eta) applied to every tree.',
  },
  growth: {
    type: 'string',
    default: 'depth',
    values: ['depth', 'leaf'],
    description: 'Grow level by level (depth) or best leaf first (leaf).',
  },
  maxDepth: {
    type: 'integer',
    default: 2,
    min: 0,
    max: 64,
    description: 'Deepest split level; 0 = unlimited (use numLeaves).',
  },
  numLeaves: {
    type: 'integer',
    default: 0,
    min: 0,
    max: 65536,
    description: 'Leaves per tree at most; 0 = unlimited (use maxDepth).',
  },
  minChildWeight: { type: 'number', default: 1, min: 0, max: 1e9, description: 'Smallest hessian sum in a child.' },
  minSamplesLeaf: { type: 'integer', default: 10, min: 1, max: 1e9, description: 'Fewest training rows in a leaf.' },
  lambda: { type: 'number', default: 5, min: 0, max: 1e6, description: 'L2 penalty on leaf values.' },
  alpha: { type: 'number', default: 0, min: 0, max: 1e6, description: 'L1 penalty on leaf values.' },
  minSplitGain: {
    type: 'number',
    default: 0,
    min: 0,
    max: 1e9,
    description: 'Loss reduction a split must exceed (gamma).',
  },
  subsample: { type: 'number', default: 0.8, min: 0.01, max: 1, description: 'Fraction of rows drawn for each tree.' },
  colsampleBytree: {
    type: 'number',
    default: 0.5,
    min: 0.01,
    max: 1,
    description: 'Fraction of features drawn for each tree.',
  },
  scalePosWeight: {
    type: 'number',
    default: 1,
    min: 1e-6,
    max: 1e6,
    description: 'Weight multiplier for positive rows.',
  },
  earlyStoppingRounds: {
    type: 'integer',
    default: 50,
    min: 0,
    max: 100000,
    description:
      'Stop after this many rounds without validation log-loss improvement (0 = off; needs validation rows).',
  },
  maxBins: {
    type: 'integer',
    default: 255,
    min: 3,
    max: 255,
    description: 'Quantile buckets per feature, missing included.',
  },
};

export interface GbdtState {
  /** Log-odds every prediction starts from (the training prior). */
  baseScore: number;
  nFeatures: number;
  /** Rounds actually boosted before stopping. */
  roundsTrained: number;
  /** Rounds kept (the best validation round, or all). */
  bestIteration: number;
  /** Validation log-loss per boosted round (empty without validation rows). */
  validationLoss: number[];
  /** Mean training log-loss after the last boosted round (absent in bundles from before it was recorded). */
  trainingLoss?: number;
  trees: CompactTreeJSON[];
}

export class GbdtEngine implements Engine {
  readonly name = 'gbdt';
  private readonly p: Record<string, number | string | boolean>;
  private baseScore = 0;
  private nFeatures = 0;
  private roundsTrained = 0;
  private validationLoss: number[] = [];
  private trainingLoss: number | undefined;
  private treeList: CompactTree[] = [];
  private packed: PackedEnsemble | null = null;

  constructor(
    params: Record<string, number | string | boolean>,
    private readonly options: EngineOptions = {},
    state?: GbdtState,
  ) {
    this.p = params;
    if (state) {
      this.baseScore = state.baseScore;
      this.nFeatures = state.nFeatures;
      this.roundsTrained = state.roundsTrained;
      this.validationLoss = [...state.validationLoss];
      this.trainingLoss = state.trainingLoss;
      this.treeList = state.trees.map(treeFromJSON);
    }
  }

  params(): Record<string, number | string | boolean> {
    return { ...this.p };
  }

  async fit(X: FeatureMatrix, y: Uint8Array, ctx: FitContext): Promise<void> {
    const p = this.p;
    const n = X.rows;
    const d = X.columns.length;
    const binned = binMatrix(X, { maxBins: p.maxBins as number });
    const w = rowWeights(y, { positive: p.scalePosWeight as number, negative: 1 }, ctx.sampleWeight);
    let sw = 0;
    let swy = 0;
    for (let i = 0; i < n; i++) {
      sw += w[i];
      swy += w[i] * y[i];
    }
    const prior = Math.min(1 - 1e-6, Math.max(1e-6, sw > 0 ? swy / sw : 0.5));
    this.baseScore = Math.log(prior / (1 - prior));
    this.nFeatures = d;
    this.packed = null;

    const treeParams: TreeParams = {
      maxDepth: p.maxDepth as number,
      maxLeaves: p.numLeaves as number,
      growth: p.growth === 'leaf' ? 'leaf' : 'depth',
      minSamplesLeaf: p.minSamplesLeaf as number,
      minChildWeight: p.minChildWeight as number,
      lambda: p.lambda as number,
      alpha: p.alpha as number,
      minSplitGain: p.minSplitGain as number,
      featuresPerSplit: 0,
      shrinkage: p.learningRate as number,
    };
    const nRounds = p.nRounds as number;
    const subsample = p.subsample as number;
    const nCols = Math.max(1, Math.round(d * (p.colsampleBytree as number)));
    const patience = p.earlyStoppingRounds as number;

    // e^-margin per row rather than the margin: a tree then multiplies each row's entry by
    // its leaf's e^-value (one exp per leaf), and a round's gradients need no exp at all,
    // where Math.exp per row per round was a sizeable share of a fit.
    const expNeg = new Float64Array(n).fill(Math.exp(-this.baseScore));
    const draws = new Uint32Array(subsample < 1 ? n : 0);
    const grad = new Float64Array(n);
    const hess = new Float64Array(n);
    const rows = new Uint32Array(n);
    /** Rows left out of a round's subsample. */
    const heldOut = new Uint32Array(n);
    const allFeatures = Int32Array.from({ length: d }, (_, f) => f);
    const grower = new TreeGrower(binned);
    const walk = new BinnedWalk(binned);

    const val = ctx.validation && ctx.validation.X.rows > 0 ? ctx.validation : undefined;
    const valRows = val ? rowMajor(val.X) : new Float64Array(0);
    const valMargin = new Float64Array(val ? val.X.rows : 0).fill(this.baseScore);
    const trees: CompactTree[] = [];
    const losses: number[] = [];
    let best = Infinity;
    let bestRound = -1;

    for (let round = 0; round < nRounds; round++) {
      const rng = new Rng(deriveSeed(ctx.seed, round));
      const m = subsample < 1 ? drawRows(rng, draws, subsample, rows, heldOut) : allRows(n, rows);
      const left = n - m;
      // Gradients only where the tree will read them: the round's sampled rows.
      logisticGradients(rows, m, expNeg, w, y, grad, hess);
      let features = allFeatures;
      if (nCols < d) {
        const pick = allFeatures.slice();
        rng.pickFront(pick, d, nCols);
        features = pick.subarray(0, nCols).sort();
      }
      const grown = grower.grow(rows, m, grad, hess, features, treeParams, rng);
      // Rows the tree was grown on are grouped by leaf already; only the rest are walked.
      const factor = grown.tree.value.map((v) => Math.exp(-v));
      scaleLeafRanges(grown, factor, rows, expNeg);
      if (left > 0) scaleWalkedRows(walk.load(grown.tree, grown.binThreshold), factor, heldOut, left, expNeg);
      trees.push(grown.tree);

      if (val) {
        const loss = addTreeAndLoss(grown.tree, valRows, d, valMargin, val.y);
        losses.push(loss);
        if (loss < best) {
          best = loss;
          bestRound = round;
        } else if (patience > 0 && round - bestRound >= patience) break;
      }
      ctx.onProgress?.(round + 1, nRounds, 'rounds');
    }
    this.roundsTrained = trees.length;
    this.trainingLoss = meanLogLoss(expNeg, y);
    this.validationLoss = losses;
    this.treeList = val && patience > 0 ? trees.slice(0, bestRound + 1) : trees;
  }

  /** Raw log-odds per row. */
  predictMargin(X: FeatureMatrix): Float64Array {
    checkColumns('gbdt', X, this.nFeatures, this.treeList.length);
    if (!this.packed) this.packed = new PackedEnsemble(this.treeList, this.options.scoring);
    const out = new Float64Array(X.rows).fill(this.baseScore);
    this.packed.addScores(X, out);
    return out;
  }

  predictProba(X: FeatureMatrix): Float64Array {
    const out = this.predictMargin(X);
    // The plain formula rather than common/sigmoid.ts: stored gbdt scores were made with it,
    // and for negative margins the two can differ in the last bit.
    for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-out[i]));
    return out;
  }

  featureImportance(): Float64Array {
    return gainImportance(this.treeList, this.nFeatures);
  }

  /** The boosted trees' leaf values are log-odds increments added to the base score. */
  attribution(): Attribution {
    return {
      kind: 'tree-ensemble',
      output: 'log_odds',
      ensemble: { trees: this.treeList, scale: 1, base: this.baseScore },
      margin: (X) => this.predictMargin(X),
    };
  }

  toJSON(): EngineState {
    const state: GbdtState = {
      baseScore: this.baseScore,
      nFeatures: this.nFeatures,
      roundsTrained: this.roundsTrained,
      bestIteration: this.treeList.length,
      validationLoss: this.validationLoss.map((v) => Number(v.toPrecision(10))),
      ...(this.trainingLoss === undefined ? {} : { trainingLoss: Number(this.trainingLoss.toPrecision(10)) }),
      trees: this.treeList.map(treeToJSON),
    };
    return { engine: this.name, params: { ...this.p }, state };
  }
}

// The per-round loops below are functions of their own so that the JIT compiles each
// once and keeps it: inside the long `fit` they were compiled on the fly and thrown away
// again several times during the first fit of a process, which is the fit CI pays for.

/**
 * Splits 0..n-1 into the round's sample (`rows`, returned count) and the rest
 * (`heldOut`): row i is drawn when the i-th uniform 32-bit draw is below subsample·2^32
 * (exactly the test next() < subsample, as next() = u32 / 2^32).
 */
function drawRows(rng: Rng, draws: Uint32Array, subsample: number, rows: Uint32Array, heldOut: Uint32Array): number {
  const n = draws.length;
  rng.fillU32(draws, n);
  const cut = subsample * 4294967296;
  let m = 0;
  let left = 0;
  for (let i = 0; i < n; i++) {
    if (draws[i] < cut) rows[m++] = i;
    else heldOut[left++] = i;
  }
  return m;
}

function allRows(n: number, rows: Uint32Array): number {
  for (let i = 0; i < n; i++) rows[i] = i;
  return n;
}

/** Weighted logistic-loss gradient and hessian of rows[0..m), stored by row number, from e^-margin. */
function logisticGradients(
  rows: Uint32Array,
  m: number,
  expNeg: Float64Array,
  w: Float64Array,
  y: Uint8Array,
  grad: Float64Array,
  hess: Float64Array,
): void {
  for (let k = 0; k < m; k++) {
    const i = rows[k];
    const pr = 1 / (1 + expNeg[i]);
    grad[i] = w[i] * (pr - y[i]);
    hess[i] = w[i] * Math.max(pr * (1 - pr), 1e-16);
  }
}

/** Rows the tree was grown on are grouped by leaf already: each leaf's factor scales its range. */
function scaleLeafRanges(grown: GrownTree, factor: Float64Array, rows: Uint32Array, expNeg: Float64Array): void {
  const { leafNode, leafStart } = grown;
  for (let j = 0; j < leafNode.length; j++) {
    const v = factor[leafNode[j]];
    for (let i = leafStart[j]; i < leafStart[j + 1]; i++) expNeg[rows[i]] *= v;
  }
}

/** The rows left out of the round's sample find their leaf by walking the tree. */
function scaleWalkedRows(
  walk: BinnedWalk,
  factor: Float64Array,
  heldOut: Uint32Array,
  count: number,
  expNeg: Float64Array,
): void {
  for (let i = 0; i < count; i++) expNeg[heldOut[i]] *= factor[walk.leaf(heldOut[i])];
}

/** Unweighted mean log-loss from e^-margin: log(1 + e^-m) for positives, log(1 + e^m) for negatives. */
function meanLogLoss(expNeg: Float64Array, y: Uint8Array): number {
  let loss = 0;
  for (let i = 0; i < expNeg.length; i++) loss += y[i] === 1 ? Math.log1p(expNeg[i]) : Math.log1p(1 / expNeg[i]);
  return loss / Math.max(1, expNeg.length);
}

function rowMajor(X: FeatureMatrix): Float64Array {
  const d = X.columns.length;
  const out = new Float64Array(X.rows * d);
  for (let f = 0; f < d; f++) {
    const col = X.columns[f];
    for (let i = 0; i < X.rows; i++) out[i * d + f] = col[i];
  }
  return out;
}

/** Adds one tree to the validation margins and returns the mean log-loss. */
function addTreeAndLoss(t: CompactTree, rows: Float64Array, d: number, margin: Float64Array, y: Uint8Array): number {
  const { feature, threshold, missingLeft, left, right, value } = t;
  let loss = 0;
  for (let i = 0; i < margin.length; i++) {
    const base = i * d;
    let node = 0;
    let f: number;
    while ((f = feature[node]) >= 0) {
      const x = rows[base + f];
      node = x <= threshold[node] || (x !== x && missingLeft[node] === 1) ? left[node] : right[node];
    }
    const m = (margin[i] += value[node]);
    // log(1 + e^-m) for positives, log(1 + e^m) for negatives, computed stably.
    const z = y[i] === 1 ? -m : m;
    loss += z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
  }
  return loss / Math.max(1, margin.length);
}

export const gbdtFactory: EngineFactory = {
  name: 'gbdt',
  encoding: 'tree',
  description: 'Gradient-boosted trees (logistic loss, histogram splits, early stopping on validation rows).',
  paramSpec,
  usesValidation: true,
  // What practitioners search for credit data (XGBoost and LightGBM tuning guides), within
  // what a two-core CI runner affords per trial.
  searchSpace: {
    // Early stopping (on rows carved from each fold's training rows) picks the rounds actually kept.
    nRounds: { type: 'int', low: 100, high: 500 },
    learningRate: { type: 'float', low: 0.02, high: 0.3, log: true },
    maxDepth: { type: 'int', low: 2, high: 6 },
    minChildWeight: { type: 'float', low: 0.1, high: 20, log: true },
    lambda: { type: 'float', low: 0.1, high: 30, log: true },
    alpha: { type: 'choice', values: [0, 0.01, 0.1, 1] },
    subsample: { type: 'float', low: 0.5, high: 1 },
    colsampleBytree: { type: 'float', low: 0.3, high: 1 },
    scalePosWeight: { type: 'choice', values: [1, 2, 3] },
  },
  // Per round (every round counted, though early stopping often ends sooner): a fixed cost plus
  // histogram work over the sampled rows and columns, once per level; constants fitted to the
  // README's benchmark machine.
  fitSeconds(params, shape) {
    const depth =
      Number(params.maxDepth) > 0 ? Number(params.maxDepth) : Math.log2(Math.max(2, Number(params.numLeaves)));
    const work = shape.rows * Number(params.subsample) * shape.columns * Number(params.colsampleBytree) * depth;
    return 0.03 + Number(params.nRounds) * (2.5e-4 + 2.4e-9 * work);
  },
  size: (params) => Number(params.nRounds),
  create(params, options) {
    return new GbdtEngine(resolveParams('gbdt', paramSpec, params), options);
  },
  fromJSON(state: EngineState, options) {
    if (state.engine !== 'gbdt') throw new Error(`expected a gbdt state, got "${state.engine}"`);
    return new GbdtEngine(resolveParams('gbdt', paramSpec, state.params), options, state.state as GbdtState);
  },
};
