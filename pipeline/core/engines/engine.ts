/**
 * The one interface every model engine implements. The pipeline encodes features,
 * hands an engine a column-major matrix and 0/1 labels, and later stores `toJSON()`
 * inside the model bundle; `fromJSON` on the factory restores it for scoring.
 */
import type { FitThreading, ScoringRuntime } from './tree/threads.ts';

/** Column-major numeric matrix. `NaN` marks a missing value. */
export interface FeatureMatrix {
  /** One name per column, after encoding (e.g. `Home=rent` for one-hot columns). */
  names: string[];
  rows: number;
  columns: Float64Array[];
  /**
   * Per column: true when the column holds integer category codes ordered by the
   * training positive rate (tree encoding). Trees may treat such columns like numbers.
   */
  categorical: boolean[];
}

export interface Labelled {
  X: FeatureMatrix;
  /** 1 = positive class (default, "bad"), 0 = negative. */
  y: Uint8Array;
}

export interface FitContext {
  seed: number;
  /** Optional per-row weights (class weighting for imbalance). */
  sampleWeight?: Float64Array;
  /** Validation rows, used only for early stopping; never for fitting splits. */
  validation?: Labelled;
  /** Worker threads the engine may use; results must not depend on it. */
  workers?: number;
  /** Where those threads come from and when they are worth bringing in (default: DEFAULT_FIT_THREADING). */
  threading?: Partial<FitThreading>;
  onProgress?: (done: number, total: number, label: string) => void;
  /** Non-fatal messages (e.g. an expected long training time). */
  onWarning?: (message: string) => void;
}

export interface Engine {
  readonly name: string;
  fit(X: FeatureMatrix, y: Uint8Array, ctx: FitContext): Promise<void>;
  /** Probability of the positive class, one per row. */
  predictProba(X: FeatureMatrix): Float64Array;
  /** Normalised (sums to 1, or all 0) importance, one per feature column. */
  featureImportance(): Float64Array;
  /** The resolved parameters, defaults filled in. */
  params(): Record<string, number | string | boolean>;
  /** JSON-safe and deterministic: same fit inputs give the same value. */
  toJSON(): EngineState;
  /**
   * How the engine's margin splits over its columns, which is what explanations are
   * made of; null when the engine cannot say, and its decisions are then not explained.
   */
  attribution(): Attribution | null;
}

/** The units of an engine's margin: log-odds, or the probability itself (a forest averages probabilities). */
export type MarginSpace = 'log_odds' | 'probability';

/**
 * One tree as flat arrays indexed by node (the layout of tree/compact.ts), with what exact
 * TreeSHAP needs: the splits, the leaf values and each node's training cover.
 */
export interface ShapTree {
  /** Split column per node, -1 at leaves. */
  feature: ArrayLike<number>;
  /** A row goes left when `x <= threshold`. */
  threshold: ArrayLike<number>;
  /** 1 when a missing value (NaN) goes left. */
  missingLeft: ArrayLike<number>;
  left: ArrayLike<number>;
  right: ArrayLike<number>;
  /** Output at leaves. */
  value: ArrayLike<number>;
  /** Training weight reaching the node. */
  cover: ArrayLike<number>;
}

/** An additive tree ensemble: margin = base + scale · Σ tree(x). */
export interface TreeEnsemble {
  trees: readonly ShapTree[];
  /** Multiplier per tree: 1 for boosting, 1/n for a forest's average. */
  scale: number;
  /** Added to the trees' sum (the boosting base score; 0 for forests). */
  base: number;
}

/**
 * - `tree-ensemble`: the margin is a tree ensemble's output (exact TreeSHAP explains it);
 * - `linear`: margin = intercept + Σ coef[j] · x[j] over the encoded columns;
 * - `weighted-sum`: a soft-voting ensemble's probability, Σ weight · member probability, each
 *   member reading `width` columns of the matrix from `offset` (the members' encodings side by side).
 */
export type Attribution =
  | { kind: 'tree-ensemble'; output: MarginSpace; ensemble: TreeEnsemble; margin(X: FeatureMatrix): Float64Array }
  | {
      kind: 'linear';
      output: 'log_odds';
      intercept: number;
      coef: readonly number[];
      margin(X: FeatureMatrix): Float64Array;
    }
  | {
      kind: 'weighted-sum';
      output: 'probability';
      members: readonly { weight: number; offset: number; width: number; attribution: Attribution }[];
    };

export interface EngineState {
  engine: string;
  params: Record<string, number | string | boolean>;
  state: unknown;
}

export type ParamType = 'integer' | 'number' | 'boolean' | 'string';

export interface ParamSpec {
  type: ParamType;
  default: number | string | boolean;
  description: string;
  min?: number;
  max?: number;
  /** For strings: the allowed values. */
  values?: string[];
}

export type ParamValue = number | string | boolean;

/** One searched parameter: a range (integer or real, optionally on a log scale), a list of choices, or a fixed value. */
export type Dimension =
  | { type: 'int'; low: number; high: number; log?: boolean }
  | { type: 'float'; low: number; high: number; log?: boolean }
  | { type: 'choice'; values: ParamValue[] }
  | { type: 'fixed'; value: ParamValue };

export type SearchSpace = Record<string, Dimension>;

/**
 * What an engine declares about itself. Everything that depends on the engine asks this,
 * never its name, so a new engine is its own module plus one line in the registry
 * (engines/index.ts).
 */
export interface EngineFactory {
  readonly name: string;
  /** `tree`: raw numbers with NaN, categoricals as ordered codes. `linear`: standardised, one-hot, imputed. */
  readonly encoding: 'tree' | 'linear';
  readonly description: string;
  readonly paramSpec: Record<string, ParamSpec>;
  /** True when `fit` stops early on `FitContext.validation`, so tuning sets rows of each fold aside for it. */
  readonly usesValidation: boolean;
  /** The ranges `mlops tune` searches by default (none: a space must be given). */
  readonly searchSpace?: SearchSpace;
  /**
   * Expected seconds of one fit on a two-core machine, from the parameters and the encoded
   * shape alone: `engine: auto` plans its search with it before fitting anything, so the plan
   * (and the model it picks) never depends on how loaded the machine is. Absent: the engine
   * takes no part in `auto`.
   */
  readonly fitSeconds?: (params: Record<string, number | string | boolean>, shape: FitShape) => number;
  /** How big a model these parameters make (trees; 0 for a linear model): `auto` prefers the smaller of two it cannot tell apart. */
  readonly size?: (params: Record<string, number | string | boolean>) => number;
  /** npm packages the engine's models are made by, whose versions go into the bundle's provenance. */
  readonly packages?: readonly string[];
  create(params: Record<string, number | string | boolean>, options?: EngineOptions): Engine;
  fromJSON(state: EngineState, options?: EngineOptions): Engine;
}

/** Rows and encoded columns a fit sees. */
export interface FitShape {
  rows: number;
  columns: number;
}

/** How an engine may score, fixed when it is made or restored. */
export interface EngineOptions {
  /** Helper threads for large batches (tree engines); default: `defaultScoring`, on the process's worker pool. */
  scoring?: ScoringRuntime;
}
