/**
 * Just enough data handling to measure the tree engines on the bundled CSV splits
 * before the real loading layer exists: header row, commas, no quoting, empty = missing.
 */
import { rocAuc as pipelineRocAuc } from '../../pipeline/core/evaluation/metrics.ts';
import { readFileSync } from 'node:fs';
import type { EngineFactory, FeatureMatrix, Labelled, ShapTree } from '../../pipeline/core/engines/engine.ts';
import type { CompactTree } from '../../pipeline/core/engines/tree/compact.ts';
import type { TreeParams } from '../../pipeline/core/engines/tree/grower.ts';
import { Rng } from '../../pipeline/core/common/random.ts';
import { createHash } from 'node:crypto';

export interface Split {
  train: Labelled;
  test: Labelled;
}

/** Loads `<dir>/train.csv` and `<dir>/test.csv`; text columns become codes ordered by training positive rate. */
export function loadSplit(dir: string, target: string, positive: string): Split {
  const train = parse(readFileSync(`${dir}/train.csv`, 'utf8'));
  const test = parse(readFileSync(`${dir}/test.csv`, 'utf8'));
  const ti = train.header.indexOf(target);
  if (ti < 0) throw new Error(`no column ${target}`);
  const yTrain = Uint8Array.from(train.rows, (r) => (r[ti] === positive ? 1 : 0));
  const yTest = Uint8Array.from(test.rows, (r) => (r[test.header.indexOf(target)] === positive ? 1 : 0));
  const names: string[] = [];
  const categorical: boolean[] = [];
  const trainCols: Float64Array[] = [];
  const testCols: Float64Array[] = [];
  train.header.forEach((name, j) => {
    if (j === ti) return;
    const tj = test.header.indexOf(name);
    const numeric = train.rows.every((r) => r[j] === '' || Number.isFinite(Number(r[j])));
    let code: (v: string) => number;
    if (numeric) code = (v) => (v === '' ? NaN : Number(v));
    else {
      const stats = new Map<string, [number, number]>();
      train.rows.forEach((r, i) => {
        if (r[j] === '') return;
        const s = stats.get(r[j]) ?? [0, 0];
        s[0] += yTrain[i];
        s[1] += 1;
        stats.set(r[j], s);
      });
      const order = [...stats.entries()].sort(
        (a, b) => a[1][0] / a[1][1] - b[1][0] / b[1][1] || (a[0] < b[0] ? -1 : 1),
      );
      const codes = new Map(order.map(([v], k) => [v, k]));
      code = (v) => codes.get(v) ?? NaN;
    }
    names.push(name);
    categorical.push(!numeric);
    trainCols.push(Float64Array.from(train.rows, (r) => code(r[j])));
    testCols.push(Float64Array.from(test.rows, (r) => code(r[tj])));
  });
  const matrix = (columns: Float64Array[], rows: number): FeatureMatrix => ({
    names: [...names],
    rows,
    columns,
    categorical: [...categorical],
  });
  return {
    train: { X: matrix(trainCols, yTrain.length), y: yTrain },
    test: { X: matrix(testCols, yTest.length), y: yTest },
  };
}

function parse(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  return { header: lines[0].split(','), rows: lines.slice(1).map((l) => l.split(',')) };
}

/** ROC AUC of the pipeline's metrics module; a missing class makes it 0.5 here so floors still fail loudly. */
export function rocAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  return pipelineRocAuc(y, score) ?? 0.5;
}

/** Rows `idx` of a labelled set, e.g. to carve a validation part off the training rows. */
export function subset(d: Labelled, idx: ArrayLike<number>): Labelled {
  const m = idx.length;
  return {
    X: {
      names: [...d.X.names],
      rows: m,
      columns: d.X.columns.map((c) => Float64Array.from({ length: m }, (_, i) => c[idx[i]])),
      categorical: [...d.X.categorical],
    },
    y: Uint8Array.from({ length: m }, (_, i) => d.y[idx[i]]),
  };
}

/**
 * Synthetic credit-like rows with a known signal: the log-odds depend on x0 (linear),
 * x1 (a step) and x2 (quadratic); x3.. are noise. `missing` blanks that share of x1.
 */
export function synthetic(rows: number, seed: number, opts: { features?: number; missing?: number } = {}): Labelled {
  const d = Math.max(4, opts.features ?? 6);
  const rng = new Rng(seed);
  const columns = Array.from({ length: d }, () => new Float64Array(rows));
  const y = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    for (let f = 0; f < d; f++) columns[f][i] = Math.round((rng.next() * 4 - 2) * 1000) / 1000;
    const z = 2.5 * columns[0][i] + (columns[1][i] > 0.5 ? 2 : -1) + 1.5 * (columns[2][i] * columns[2][i] - 1.3);
    y[i] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    if (opts.missing && rng.next() < opts.missing) columns[1][i] = NaN;
  }
  return {
    X: { names: columns.map((_, f) => `x${f}`), rows, columns, categorical: columns.map(() => false) },
    y,
  };
}

/** Fits a tree engine (forest or gbdt) on one thread and returns its trees. */
export async function fitTrees(
  factory: EngineFactory,
  params: Record<string, number | string | boolean>,
  data: Labelled,
  seed: number,
): Promise<readonly CompactTree[]> {
  const engine = factory.create(params);
  await engine.fit(data.X, data.y, { seed, workers: 1 });
  const a = engine.attribution();
  if (a?.kind !== 'tree-ensemble') throw new Error(`${factory.name} declares no tree ensemble`);
  // The tree engines' ensembles are their compact trees.
  return a.ensemble.trees as readonly CompactTree[];
}

/** sha256 of a value's JSON, e.g. an engine's state, to compare models byte for byte. */
export const sha256 = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex');

/** Tree parameters for growing trees directly: no limits, no penalties, every feature; override what a test needs. */
export function treeParams(overrides: Partial<TreeParams> = {}): TreeParams {
  return {
    maxDepth: 0,
    maxLeaves: 0,
    growth: 'leaf',
    minSamplesLeaf: 1,
    minChildWeight: 0,
    lambda: 0,
    alpha: 0,
    minSplitGain: 0,
    featuresPerSplit: 0,
    shrinkage: 1,
    ...overrides,
  };
}

/** Row numbers 0..n-1. */
export const allRows = (n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => i);

/** The leaf one row reaches in a tree (its value for column f at `row[f]`), walked node by node: the reference the fast walks are held to. */
export function leafIndex(t: ShapTree, row: ArrayLike<number>): number {
  let node = 0;
  let f: number;
  while ((f = t.feature[node]) >= 0) {
    const x = row[f];
    node = x <= t.threshold[node] || (x !== x && t.missingLeft[node] === 1) ? t.left[node] : t.right[node];
  }
  return node;
}
