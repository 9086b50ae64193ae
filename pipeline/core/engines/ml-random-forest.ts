/**
 * Adapter for the `ml-random-forest` package (mljs), the forest the project first
 * listed. Kept so its results stay comparable, with its measured limits worked around:
 * - its split search is O(n²) per feature and node, so we warn with an estimate of the
 *   fit's time above a few thousand rows;
 * - `predictProbability` drops the first tree's vote, so the probability here is the
 *   share of trees voting "positive", read from `predictionValues`;
 * - out-of-bag collection can crash on small forests, so it is switched off;
 * - it has no notion of missing values: NaN is replaced by the training median.
 * Choose it only to reproduce earlier mljs results; `forest` is faster and better.
 */
import { RandomForestClassifier } from 'ml-random-forest';
import type { Engine, EngineFactory, EngineState, FeatureMatrix, FitContext, ParamSpec } from './engine.ts';
import { resolveParams, type ParamValues } from './params.ts';

const paramSpec: Record<string, ParamSpec> = {
  nEstimators: { type: 'integer', default: 50, min: 1, max: 2000, description: 'Number of trees.' },
  maxFeatures: { type: 'number', default: 0.5, min: 0.01, max: 1, description: 'Share of features each tree sees.' },
  maxDepth: { type: 'integer', default: 10, min: 1, max: 64, description: 'Maximum tree depth.' },
  minNumSamples: { type: 'integer', default: 5, min: 1, max: 100000, description: 'Minimum rows to split a node.' },
  gainThreshold: {
    type: 'number',
    default: 0,
    min: 0,
    max: 1,
    description: 'Minimum impurity gain for a split (the package default 0.01 makes stumps on large data).',
  },
};

/** Seconds per (rows/10,000)² per 100 trees: the time of one measured fit of 10,000 rows and 100 trees. */
const SECONDS_PER_UNIT = 924;

interface CartNode {
  splitColumn: number;
  gain: number;
  numberSamples: number;
  left?: CartNode;
  right?: CartNode;
}

interface MlrfState {
  medians: number[];
  forest: unknown;
}

function estimateSeconds(rows: number, trees: number): number {
  return SECONDS_PER_UNIT * (rows / 10_000) ** 2 * (trees / 100);
}

class MlRandomForestEngine implements Engine {
  readonly name = 'ml-random-forest';
  private forest: RandomForestClassifier | null = null;
  private medians: number[] = [];
  private nFeatures = 0;

  constructor(
    private readonly p: ParamValues,
    state?: MlrfState,
  ) {
    if (state) {
      this.medians = state.medians;
      this.nFeatures = state.medians.length;
      this.forest = RandomForestClassifier.load(withArrayDistributions(state.forest) as never);
    }
  }

  params(): ParamValues {
    return { ...this.p };
  }

  async fit(X: FeatureMatrix, y: Uint8Array, ctx: FitContext): Promise<void> {
    const trees = this.p.nEstimators as number;
    if (X.rows > 2000) {
      const s = estimateSeconds(X.rows, trees);
      ctx.onWarning?.(
        `ml-random-forest: ${X.rows} rows × ${trees} trees — its O(n²) split search may take about ${s < 120 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`}; the forest engine trains the same in well under a second`,
      );
    }
    this.nFeatures = X.columns.length;
    this.medians = X.columns.map((c) => median(c));
    const rows = this.toRows(X);
    this.forest = new RandomForestClassifier({
      nEstimators: trees,
      maxFeatures: this.p.maxFeatures as number,
      seed: ctx.seed | 0,
      useSampleBagging: true,
      replacement: false,
      noOOB: true,
      treeOptions: {
        maxDepth: this.p.maxDepth as number,
        minNumSamples: this.p.minNumSamples as number,
        gainThreshold: this.p.gainThreshold as number,
      },
    });
    this.forest.train(rows, Array.from(y));
    ctx.onProgress?.(trees, trees, 'trees');
  }

  private toRows(X: FeatureMatrix): number[][] {
    const rows: number[][] = new Array(X.rows);
    for (let i = 0; i < X.rows; i++) {
      const r = new Array<number>(X.columns.length);
      for (let j = 0; j < X.columns.length; j++) {
        const v = X.columns[j][i];
        r[j] = Number.isNaN(v) ? this.medians[j] : v;
      }
      rows[i] = r;
    }
    return rows;
  }

  predictProba(X: FeatureMatrix): Float64Array {
    if (!this.forest) throw new Error('ml-random-forest: model is not fitted');
    const votes = this.forest.predictionValues(this.toRows(X)) as unknown as {
      rows: number;
      columns: number;
      get(i: number, j: number): number;
    };
    const out = new Float64Array(X.rows);
    for (let i = 0; i < votes.rows; i++) {
      let pos = 0;
      for (let t = 0; t < votes.columns; t++) pos += votes.get(i, t) === 1 ? 1 : 0;
      out[i] = pos / votes.columns;
    }
    return out;
  }

  /** Impurity decrease (gain × rows at the node) summed per feature over every tree. */
  featureImportance(): Float64Array {
    if (!this.forest) throw new Error('ml-random-forest: model is not fitted');
    const model = (
      this.forest.toJSON() as unknown as { baseModel: { indexes: number[][]; estimators: { root: CartNode }[] } }
    ).baseModel;
    const imp = new Float64Array(this.nFeatures);
    model.estimators.forEach((est, t) => {
      const stack: CartNode[] = [est.root];
      while (stack.length) {
        const node = stack.pop()!;
        if (!node.left || !node.right) continue;
        imp[model.indexes[t][node.splitColumn]] += Math.max(0, node.gain) * node.numberSamples;
        stack.push(node.left, node.right);
      }
    });
    const total = imp.reduce((a, b) => a + b, 0);
    return total > 0 ? imp.map((v) => v / total) : imp;
  }

  toJSON(): EngineState {
    if (!this.forest) throw new Error('ml-random-forest: model is not fitted');
    return { engine: this.name, params: this.params(), state: { medians: this.medians, forest: this.forest.toJSON() } };
  }

  /** Its trees are the package's own objects, not the flat trees TreeSHAP reads: decisions are not explained. */
  attribution(): null {
    return null;
  }
}

/**
 * The package's `toJSON` leaves each leaf's class distribution an ml-matrix Matrix, which
 * the bundle stores as its fields (`{rows, columns, data}`); its `load` rebuilds a Matrix
 * only from a plain array of rows. Hands it those rows, so stored forests score again.
 */
function withArrayDistributions(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withArrayDistributions);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    const rows = (value as { data?: unknown } | null)?.data;
    out[key] = key === 'distribution' && Array.isArray(rows) ? rows : withArrayDistributions(value);
  }
  return out;
}

function median(c: Float64Array): number {
  const v = Array.from(c)
    .filter((x) => !Number.isNaN(x))
    .sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : 0;
}

export const mlRandomForestFactory: EngineFactory = {
  name: 'ml-random-forest',
  encoding: 'tree',
  description: 'The mljs ml-random-forest package (slow: O(n²) splits; for comparison only).',
  paramSpec,
  usesValidation: false,
  searchSpace: {
    nEstimators: { type: 'int', low: 20, high: 80 },
    maxFeatures: { type: 'float', low: 0.3, high: 1 },
  },
  packages: ['ml-random-forest'],
  create: (params) => new MlRandomForestEngine(resolveParams('ml-random-forest', paramSpec, params)),
  fromJSON: (s) =>
    new MlRandomForestEngine(resolveParams('ml-random-forest', paramSpec, s.params), s.state as MlrfState),
};
