/**
 * The one interface every model engine implements. The pipeline encodes features,
 * hands an engine a column-major matrix and 0/1 labels, and later stores `toJSON()`
 * inside the model bundle; `fromJSON` on the factory restores it for scoring.
 */

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
}

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

export interface EngineFactory {
  readonly name: string;
  /** `tree`: raw numbers with NaN, categoricals as ordered codes. `linear`: standardised, one-hot, imputed. */
  readonly encoding: 'tree' | 'linear';
  readonly description: string;
  readonly paramSpec: Record<string, ParamSpec>;
  create(params: Record<string, number | string | boolean>): Engine;
  fromJSON(state: EngineState): Engine;
}
